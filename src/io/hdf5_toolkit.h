// The HDF5 C API as our file formats use it: owned identifiers, errors that name the file and
// member, scoped error silencing, scalar attributes, 1-D datasets and extendible series.
//
// Private to src/io (and its tests): the public headers (run_file.h, table_file.h, array_file.h,
// sweep_file.h) never include it, so <hdf5.h> stays out of every other module.
//
// Every function that takes a Site reports a failed HDF5 call through it (Site::fail): as
// core::UserError with a HINT when the file is being read (the file is the user's), as
// hdf5::Failure (a core::Error) when it is being written (then it is ours, unless the caller
// catches it and knows better, as the run file does for a full disk).
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/error.h"

namespace clipscale::io::hdf5 {

/// Switches HDF5's automatic error printing off for the guard's lifetime and then restores the
/// handler (and its client data) that was installed before, so nested guards compose.
/// Failures still set the error stack, which take_error() turns into text for our messages.
/// Scoped rather than process-wide: the handler is global state shared with every other HDF5
/// user in the process (a test's own calls, h5 tools linked in), whose diagnostics must survive.
/// Where the handler was installed with the old H5Eset_auto1 API it cannot be saved, and the
/// guard leaves it alone (errors then print as before).
class QuietErrors {
 public:
  QuietErrors();
  ~QuietErrors();
  QuietErrors(const QuietErrors&) = delete;
  QuietErrors& operator=(const QuietErrors&) = delete;

 private:
  bool saved_ = false;
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

/// The current HDF5 error stack as one line, outermost call first, then the innermost
/// ("H5Dflush(): unable to flush dataset; H5FD__sec2_write(): file write failed (No space left on
/// device)"); clears the stack. "no HDF5 error details" when it is empty.
std::string take_error();

/// Owns one HDF5 identifier and closes it with the matching H5?close (H5Fclose, H5Gclose, ...).
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  /// Takes `id` (which may be invalid, < 0: then nothing is owned).
  Handle(hid_t id, Closer close) : id_(id), close_(close) {}
  Handle(Handle&& other) noexcept;
  Handle& operator=(Handle&& other) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { close(); }

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  /// Closes now and forgets the identifier either way; returns the close call's status (0 when
  /// nothing was open). After a failed H5Fclose HDF5 1.10 keeps an identifier whose file is
  /// already torn down; touching it again crashes, so it is never retried.
  herr_t close();

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer close_ = nullptr;
};

/// A failed HDF5 call while writing a file: what we were doing and HDF5's own account of it.
class Failure : public core::Error {
 public:
  Failure(const std::string& message, std::string action, std::string detail)
      : core::Error(message), action_(std::move(action)), detail_(std::move(detail)) {}
  /// E.g. "flushing /train/loss".
  const std::string& action() const { return action_; }
  /// take_error() at the time of the failure.
  const std::string& detail() const { return detail_; }

 private:
  std::string action_;
  std::string detail_;
};

/// The file HDF5 calls act on, and how their failures are reported.
class Site {
 public:
  enum class Mode { kWrite, kRead };
  /// `label` names the kind of file in messages ("run file" gives "run file '<path>': ..."); an
  /// empty label gives "<path>: ...".
  Site(std::string label, std::string path, Mode mode);
  void set_path(std::string path) { path_ = std::move(path); }
  const std::string& path() const { return path_; }
  /// "run file '<path>'" or "<path>", the start of every message.
  std::string where() const;

  /// `what` ("writing row 3 of /train/loss") failed: throws core::UserError with a HINT in read
  /// mode, hdf5::Failure in write mode; the HDF5 error stack goes into the message.
  [[noreturn]] void fail(const std::string& what) const;
  /// A member that is missing or has the wrong form: core::UserError with a HINT.
  [[noreturn]] void bad_member(const std::string& member, const std::string& problem) const;

  /// `id` when valid, else fail(what).
  hid_t id(hid_t id, const std::string& what) const;
  /// `status` when >= 0 (HDF5's herr_t and htri_t), else fail(what).
  int ok(int status, const std::string& what) const;
  /// A Handle owning `id` when valid, else fail(what).
  Handle handle(hid_t id, Handle::Closer close, const std::string& what) const;

 private:
  std::string label_;
  std::string path_;
  Mode mode_;
};

/// "attribute 'top1' of /eval/zs".
std::string attr_member(const std::string& object, const std::string& name);
/// "/eval" + "zs" -> "/eval/zs"; "/" (or "") + "train" -> "/train".
std::string child_path(const std::string& group, const std::string& name);

// ---- files, property lists, types ----

/// File access properties selecting the latest file format, which SWMR needs (checksummed
/// metadata, the extensible-array chunk index).
Handle latest_format_fapl(const Site& site);
/// Creation properties of class `plist_class` (H5P_FILE_CREATE or H5P_GROUP_CREATE) that track
/// and index the creation order of links and attributes.
Handle creation_order_plist(hid_t plist_class, const Site& site);
/// Turns file locking off in `fapl` (HDF5 >= 1.10.7); false where this HDF5 can't.
bool disable_file_locking(hid_t fapl);
/// H5Fcreate / H5Fopen; an invalid Handle on failure, with the reason left for take_error(),
/// because each format words that error itself.
Handle create_file(const std::string& path, unsigned flags, hid_t fcpl, hid_t fapl);
Handle open_file(const std::string& path, unsigned flags, hid_t fapl);
/// Flushes `file`, then closes it. A flush that fails throws (Site::fail) and leaves the file
/// open, so the caller may retry once the cause (a full disk) is gone: closing a file whose
/// flush fails makes HDF5 1.10 crash later (see Handle::close), and the flush is the close's
/// only step that writes much. Every object in the file must be closed first, so that this close
/// is the real one and its result is the file's.
void flush_and_close(Handle& file, const Site& site, const std::string& what);
/// Bytes an unprivileged writer may still use on the file system holding `path` (a file or
/// folder that exists); nullopt when unknown.
std::optional<uint64_t> free_bytes(const std::string& path);
/// A variable-length UTF-8 string type (h5py reads its values as str).
Handle utf8_string_type(const Site& site);

// ---- links and groups ----

/// Whether `name` is a link in `location`; `member` names it in the failure message.
bool link_exists(hid_t location, const std::string& name, const std::string& member, const Site& site);
/// What `name` below `location` is; H5O_TYPE_UNKNOWN when it is missing or can't be inspected.
H5O_type_t object_type(hid_t location, const std::string& name);
/// Names of the links in `group`, in creation order where the group tracks it, else by name.
std::vector<std::string> link_names(hid_t group, const std::string& group_path, const Site& site);
/// H5Gcreate2 of `name` below `parent` (at `parent_path`), with creation properties `gcpl`.
Handle create_group(hid_t parent, const std::string& parent_path, const std::string& name, const Site& site,
                    hid_t gcpl = H5P_DEFAULT);
/// Opens the group `name` below `parent`; Site::bad_member ("group /x is missing") when absent.
Handle open_group(hid_t parent, const std::string& parent_path, const std::string& name, const Site& site);
/// Opens the object (group, dataset, named type) `name` below `parent`.
Handle open_object(hid_t parent, const std::string& parent_path, const std::string& name, const Site& site);

// ---- scalar attributes ----

/// A scalar attribute value: stored as a variable-length UTF-8 string, float64 or int64
/// (little-endian, the native types of every machine we run on).
using AttrValue = std::variant<std::string, double, int64_t>;

/// Sets the scalar attribute `name` of `object` (at `object_path`). An existing attribute of
/// the same kind (string, float, integer) is overwritten in place; one of another kind is
/// replaced.
void write_attr(hid_t object, const std::string& object_path, const std::string& name, const AttrValue& value,
                const Site& site);
/// Names of the attributes of `object`, by name.
std::vector<std::string> attr_names(hid_t object, const std::string& object_path, const Site& site);
bool has_attr(hid_t object, const std::string& object_path, const std::string& name, const Site& site);

/// An open scalar attribute with its stored type.
struct Attr {
  Handle attr;
  Handle type;
  H5T_class_t type_class = H5T_NO_CLASS;
  std::string member;  ///< "attribute 'x' of /y", for messages
};
/// Opens the scalar attribute `name`; Site::bad_member when it is missing or not one value.
Attr open_attr(hid_t object, const std::string& object_path, const std::string& name, const Site& site);
/// The value of a string attribute (variable-length or NUL-padded fixed-length); bad_member
/// when it holds another type.
std::string read_string(const Attr& a, const Site& site);
/// The value of an integer or float attribute, converted by HDF5 to int64 / float64; bad_member
/// when it holds another type.
int64_t read_int64(const Attr& a, const Site& site);
double read_double(const Attr& a, const Site& site);
/// The value by its stored kind: float -> double, integer -> int64, string -> string;
/// bad_member for other types.
AttrValue read_value(const Attr& a, const Site& site);

std::string read_string_attr(hid_t object, const std::string& object_path, const std::string& name, const Site& site);
int64_t read_int64_attr(hid_t object, const std::string& object_path, const std::string& name, const Site& site);
double read_double_attr(hid_t object, const std::string& object_path, const std::string& name, const Site& site);

// ---- datasets ----

/// Creates the dataset `name` below `location` with shape `dims` and stored type `file_type`, and
/// writes all of `data` (laid out row-major, of `memory_type`).
void write_dataset(hid_t location, const std::string& location_path, const std::string& name, hid_t file_type,
                   hid_t memory_type, const std::vector<hsize_t>& dims, const void* data, const Site& site);
/// A 1-D dataset of variable-length UTF-8 strings.
void write_string_dataset(hid_t location, const std::string& location_path, const std::string& name,
                          const std::vector<std::string>& values, const Site& site);
/// The length of the 1-D dataset `dataset` (at `member`); bad_member when it has another rank.
hsize_t dataset_rows(hid_t dataset, const std::string& member, const Site& site);
/// The whole of a 1-D dataset, converted by HDF5 to `memory_type` (H5T_NATIVE_INT64 for int64_t,
/// H5T_NATIVE_DOUBLE for double). `refresh` first reloads its metadata, for SWMR readers.
template <typename T>
std::vector<T> read_values(hid_t dataset, const std::string& member, hid_t memory_type, bool refresh, const Site& site);
/// read_values of the dataset `name` below `group`; bad_member when it is missing.
template <typename T>
std::vector<T> read_named_values(hid_t group, const std::string& group_path, const std::string& name, hid_t memory_type,
                                 bool refresh, const Site& site);
/// The whole of a 1-D string dataset (variable-length, or NUL-padded fixed-length).
std::vector<std::string> read_strings(hid_t dataset, const std::string& member, const Site& site);

// ---- extendible series ----

/// An open 1-D extendible, chunked dataset that grows one row at a time.
struct Series {
  std::string path;  ///< "/train/loss", for messages
  Handle dataset;
};
/// Creates the empty series `name` below `group`: unlimited length, chunks of `chunk_rows` rows.
Series create_series(hid_t group, const std::string& group_path, const std::string& name, hid_t file_type,
                     hsize_t chunk_rows, const Site& site);
/// Writes `value` (of `memory_type`) as row `row`, extending the series to row + 1 rows, and
/// flushes the dataset, so SWMR readers see the row at once. Writing a row again is allowed, so a
/// failed append can be retried at the same row.
void append_row(const Series& series, hsize_t row, hid_t memory_type, const void* value, const Site& site);
/// Cuts the series back to `rows` rows and flushes it; false when HDF5 refused. Undoes a failed
/// append_row, which can leave the series one row longer with that row never written.
bool truncate_series(const Series& series, hsize_t rows);

}  // namespace clipscale::io::hdf5
