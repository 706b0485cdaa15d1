#include "io/run_file.h"

#include <hdf5.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <limits>
#include <set>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "core/error.h"
#include "core/failpoint.h"
#include "io/table_file.h"

namespace clipscale::io {
namespace {

// Rows per chunk of every series: one chunk holds ~256 log steps (2 KiB), so appends rarely
// allocate and a reader touches few chunks.
constexpr hsize_t kSeriesChunkRows = 256;

// finish() reopens the file after leaving SWMR mode. Readers hold shared locks on it (SWMR
// readers too), which block that reopen; it is retried for 2 s (20 × 100 ms) before going ahead
// without the lock. read_run_file retries the same way while finish() holds the file (≤ 1 s).
constexpr int kReopenAttempts = 20;
constexpr std::chrono::milliseconds kReopenDelay{100};
constexpr int kReadOpenAttempts = 20;
constexpr std::chrono::milliseconds kReadOpenDelay{50};

constexpr const char* kSchemaVersionAttr = "schema_version";
constexpr const char* kStatusAttr = "status";
constexpr const char* kFinishedAttr = "finished_utc";
constexpr const char* kFlopsAttr = "flops_per_sample";
constexpr const char* kSamplesSeenSeries = "samples_seen";

struct HeaderString {
  const char* name;
  std::string RunHeader::*member;
};
struct HeaderInt64 {
  const char* name;
  int64_t RunHeader::*member;
};
constexpr HeaderString kHeaderStrings[] = {{"run_id", &RunHeader::run_id},
                                           {"config_toml", &RunHeader::config_toml},
                                           {"git_sha", &RunHeader::git_sha},
                                           {"variant", &RunHeader::variant}};
constexpr HeaderInt64 kHeaderInt64s[] = {{"params_image", &RunHeader::params_image},
                                         {"params_text", &RunHeader::params_text},
                                         {"params_total", &RunHeader::params_total},
                                         {"samples_seen_target", &RunHeader::samples_seen_target},
                                         {"data_size", &RunHeader::data_size},
                                         {"seed", &RunHeader::seed},
                                         {"world_size", &RunHeader::world_size}};

struct TrainInt64 {
  const char* name;
  int64_t TrainRecord::*member;
};
struct TrainFloat64 {
  const char* name;
  double TrainRecord::*member;
};
constexpr TrainInt64 kTrainInt64s[] = {{"step", &TrainRecord::step}, {"samples_seen", &TrainRecord::samples_seen}};
constexpr TrainFloat64 kTrainFloat64s[] = {{"loss", &TrainRecord::loss},
                                           {"lr", &TrainRecord::lr},
                                           {"logit_scale", &TrainRecord::logit_scale},
                                           {"samples_per_s", &TrainRecord::samples_per_s},
                                           {"data_wait_s", &TrainRecord::data_wait_s}};

// Root attribute names the header owns; extra attributes may not reuse them.
std::set<std::string> reserved_root_attrs() {
  std::set<std::string> names = {kSchemaVersionAttr, kStatusAttr, kFinishedAttr, kFlopsAttr};
  for (const HeaderString& f : kHeaderStrings) names.insert(f.name);
  for (const HeaderInt64& f : kHeaderInt64s) names.insert(f.name);
  return names;
}

bool is_final_status(const std::string& status) {
  return status == kRunStatusDone || status == kRunStatusFailed || status == kRunStatusPreempted;
}

// Silences HDF5's default error printing for one call of ours; failures become exceptions instead.
class QuietHdf5Errors {
 public:
  QuietHdf5Errors() {
    H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~QuietHdf5Errors() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }
  QuietHdf5Errors(const QuietHdf5Errors&) = delete;
  QuietHdf5Errors& operator=(const QuietHdf5Errors&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

herr_t collect_error(unsigned /*n*/, const H5E_error2_t* err, void* out) {
  static_cast<std::vector<std::string>*>(out)->push_back(
      fmt::format("{}(): {}", err->func_name ? err->func_name : "?", err->desc ? err->desc : ""));
  return 0;
}

// The current HDF5 error stack as one line, outermost call first; clears the stack.
std::string take_hdf5_error() {
  const hid_t stack = H5Eget_current_stack();
  if (stack < 0) return "no HDF5 error details";
  std::vector<std::string> lines;
  H5Ewalk2(stack, H5E_WALK_DOWNWARD, collect_error, &lines);
  H5Eclose_stack(stack);
  if (lines.empty()) return "no HDF5 error details";
  if (lines.size() == 1) return lines.front();
  return lines.front() + "; " + lines.back();
}

// Owns one HDF5 identifier and closes it with the matching H5?close.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer close) : id_(id), close_(close) {}
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)), close_(other.close_) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
      close_ = other.close_;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }

  hid_t get() const { return id_; }
  /// Closes now; returns the close call's status (0 when nothing was open).
  herr_t reset() {
    herr_t status = 0;
    if (id_ >= 0 && close_ != nullptr) status = close_(id_);
    id_ = H5I_INVALID_HID;
    return status;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer close_ = nullptr;
};

// The file HDF5 calls act on, and how their failures are reported: writing failures are ours
// (core::Error), reading failures are about the user's file (core::UserError with a HINT).
class Site {
 public:
  enum class Mode { kWrite, kRead };
  Site(std::string path, Mode mode) : path_(std::move(path)), mode_(mode) {}
  void set_path(std::string path) { path_ = std::move(path); }

  [[noreturn]] void fail(const std::string& what) const {
    const std::string detail = take_hdf5_error();
    if (mode_ == Mode::kRead) {
      throw core::UserError(fmt::format("run file '{}': {} failed ({}). {}", path_, what, detail, read_hint()));
    }
    throw core::Error(fmt::format("run file '{}': {} failed ({})", path_, what, detail));
  }

  /// A member that is missing or has the wrong form.
  [[noreturn]] void bad_member(const std::string& member, const std::string& problem) const {
    throw core::UserError(fmt::format("run file '{}': {} {}. {}", path_, member, problem, read_hint()));
  }

  hid_t id(hid_t id, const std::string& what) const {
    if (id < 0) fail(what);
    return id;
  }
  int ok(int status, const std::string& what) const {
    if (status < 0) fail(what);
    return status;
  }
  Handle handle(hid_t id, Handle::Closer close, const std::string& what) const {
    return Handle(this->id(id, what), close);
  }

  const std::string& path() const { return path_; }

 private:
  std::string read_hint() const {
    return fmt::format("HINT: the file is damaged or was not written by clipscale; `h5dump -H -A {}` shows what "
                       "it holds.",
                       path_);
  }

  std::string path_;
  Mode mode_;
};

std::string attr_member(const std::string& object, const std::string& name) {
  return fmt::format("attribute '{}' of {}", name, object);
}

std::string child_path(const std::string& group, const std::string& name) {
  return group == "/" ? "/" + name : group + "/" + name;
}

Handle latest_format_fapl(const Site& site) {
  Handle fapl = site.handle(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "creating file access properties");
  // SWMR needs the latest format (checksummed metadata, extensible-array chunk index).
  site.ok(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_LATEST, H5F_LIBVER_LATEST), "selecting the latest file format");
  return fapl;
}

Handle vlen_utf8_string_type(const Site& site) {
  Handle type = site.handle(H5Tcopy(H5T_C_S1), H5Tclose, "creating a string type");
  site.ok(H5Tset_size(type.get(), H5T_VARIABLE), "making the string type variable-length");
  site.ok(H5Tset_cset(type.get(), H5T_CSET_UTF8), "making the string type UTF-8");
  return type;
}

// ---- attributes: writing ----

// Writes the scalar attribute `name` of `obj`, creating it when absent. `type` is both the stored
// and the in-memory type.
void put_attr(hid_t obj, const std::string& object, const char* name, hid_t type, const void* value, const Site& site) {
  const std::string member = attr_member(object, name);
  const int exists = site.ok(H5Aexists(obj, name), "looking up " + member);
  Handle attr;
  if (exists > 0) {
    attr = site.handle(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose, "opening " + member);
  } else {
    Handle space = site.handle(H5Screate(H5S_SCALAR), H5Sclose, "creating a scalar dataspace");
    attr = site.handle(H5Acreate2(obj, name, type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                       "creating " + member);
  }
  site.ok(H5Awrite(attr.get(), type, value), "writing " + member);
}

void put_string_attr(hid_t obj, const std::string& object, const char* name, const std::string& value,
                     const Site& site) {
  const Handle type = vlen_utf8_string_type(site);
  const char* text = value.c_str();
  put_attr(obj, object, name, type.get(), &text, site);
}

void put_int64_attr(hid_t obj, const std::string& object, const char* name, int64_t value, const Site& site) {
  put_attr(obj, object, name, H5T_NATIVE_INT64, &value, site);
}

void put_double_attr(hid_t obj, const std::string& object, const char* name, double value, const Site& site) {
  put_attr(obj, object, name, H5T_NATIVE_DOUBLE, &value, site);
}

// ---- attributes: reading ----

const char* type_class_name(H5T_class_t type_class) {
  switch (type_class) {
    case H5T_INTEGER: return "an integer";
    case H5T_FLOAT: return "a float";
    case H5T_STRING: return "a string";
    default: return "a value of another HDF5 type";
  }
}

herr_t collect_attr_name(hid_t /*location*/, const char* name, const H5A_info_t* /*info*/, void* out) {
  static_cast<std::vector<std::string>*>(out)->emplace_back(name);
  return 0;
}

std::vector<std::string> attr_names(hid_t obj, const std::string& object, const Site& site) {
  std::vector<std::string> names;
  site.ok(H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_attr_name, &names),
          "listing the attributes of " + object);
  return names;
}

// An open scalar attribute with its stored type.
struct OpenAttr {
  Handle attr;
  Handle type;
  H5T_class_t type_class = H5T_NO_CLASS;
  std::string member;
};

OpenAttr open_attr(hid_t obj, const std::string& object, const std::string& name, const Site& site) {
  OpenAttr a;
  a.member = attr_member(object, name);
  if (site.ok(H5Aexists(obj, name.c_str()), "looking up " + a.member) == 0) site.bad_member(a.member, "is missing");
  a.attr = site.handle(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose, "opening " + a.member);
  const Handle space = site.handle(H5Aget_space(a.attr.get()), H5Sclose, "reading the shape of " + a.member);
  const hssize_t count = H5Sget_simple_extent_npoints(space.get());
  if (count != 1) site.bad_member(a.member, fmt::format("holds {} values, expected a single value", count));
  a.type = site.handle(H5Aget_type(a.attr.get()), H5Tclose, "reading the type of " + a.member);
  a.type_class = H5Tget_class(a.type.get());
  return a;
}

std::string read_string(const OpenAttr& a, const Site& site) {
  if (a.type_class != H5T_STRING) {
    site.bad_member(a.member, fmt::format("is {}, expected a string", type_class_name(a.type_class)));
  }
  if (site.ok(H5Tis_variable_str(a.type.get()), "inspecting " + a.member) > 0) {
    const Handle memory_type = site.handle(H5Tcopy(a.type.get()), H5Tclose, "copying the type of " + a.member);
    char* text = nullptr;
    site.ok(H5Aread(a.attr.get(), memory_type.get(), &text), "reading " + a.member);
    std::string value = text != nullptr ? text : "";
    H5free_memory(text);
    return value;
  }
  std::string value(H5Tget_size(a.type.get()), '\0');
  site.ok(H5Aread(a.attr.get(), a.type.get(), value.data()), "reading " + a.member);
  value.resize(std::min(value.find('\0'), value.size()));  // fixed-length strings are NUL-padded
  return value;
}

template <typename T>
T read_number(const OpenAttr& a, hid_t memory_type, const Site& site) {
  if (a.type_class != H5T_INTEGER && a.type_class != H5T_FLOAT) {
    site.bad_member(a.member, fmt::format("is {}, expected a number", type_class_name(a.type_class)));
  }
  T value{};
  site.ok(H5Aread(a.attr.get(), memory_type, &value), "reading " + a.member);
  return value;
}

std::string read_string_attr(hid_t obj, const std::string& object, const std::string& name, const Site& site) {
  return read_string(open_attr(obj, object, name, site), site);
}
int64_t read_int64_attr(hid_t obj, const std::string& object, const std::string& name, const Site& site) {
  return read_number<int64_t>(open_attr(obj, object, name, site), H5T_NATIVE_INT64, site);
}
double read_double_attr(hid_t obj, const std::string& object, const std::string& name, const Site& site) {
  return read_number<double>(open_attr(obj, object, name, site), H5T_NATIVE_DOUBLE, site);
}

// ---- series ----

// An open 1-D extendible dataset and its path, for messages.
struct Series {
  std::string path;
  Handle dataset;
};

Series create_series(hid_t group, const std::string& group_path, const std::string& name, hid_t file_type,
                     const Site& site) {
  Series s;
  s.path = child_path(group_path, name);
  const hsize_t rows = 0;
  const hsize_t max_rows = H5S_UNLIMITED;
  const hsize_t chunk = kSeriesChunkRows;
  const Handle space = site.handle(H5Screate_simple(1, &rows, &max_rows), H5Sclose, "creating the shape of " + s.path);
  const Handle dcpl = site.handle(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "creating properties for " + s.path);
  site.ok(H5Pset_chunk(dcpl.get(), 1, &chunk), "setting the chunk size of " + s.path);
  s.dataset = site.handle(H5Dcreate2(group, name.c_str(), file_type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                          H5Dclose, "creating " + s.path);
  return s;
}

// Writes `value` as row `row` (== the current length) and flushes, so SWMR readers see it.
void append_value(const Series& s, hsize_t row, hid_t memory_type, const void* value, const Site& site) {
  const hsize_t rows = row + 1;
  const hsize_t one = 1;
  site.ok(H5Dset_extent(s.dataset.get(), &rows), "extending " + s.path);
  const Handle file_space = site.handle(H5Dget_space(s.dataset.get()), H5Sclose, "reading the shape of " + s.path);
  site.ok(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &row, nullptr, &one, nullptr),
          "selecting row " + std::to_string(row) + " of " + s.path);
  const Handle memory_space = site.handle(H5Screate_simple(1, &one, nullptr), H5Sclose, "creating a 1-row shape");
  site.ok(H5Dwrite(s.dataset.get(), memory_type, memory_space.get(), file_space.get(), H5P_DEFAULT, value),
          "writing row " + std::to_string(row) + " of " + s.path);
  site.ok(H5Dflush(s.dataset.get()), "flushing " + s.path);
  core::failpoint("run_file_flush");
}

// The whole of a 1-D dataset, converted to T by HDF5.
template <typename T>
std::vector<T> read_series(hid_t dataset, const std::string& member, hid_t memory_type, bool swmr, const Site& site) {
  if (swmr) site.ok(H5Drefresh(dataset), "refreshing " + member);
  const Handle space = site.handle(H5Dget_space(dataset), H5Sclose, "reading the shape of " + member);
  const int rank = site.ok(H5Sget_simple_extent_ndims(space.get()), "reading the rank of " + member);
  if (rank != 1) site.bad_member(member, fmt::format("has {} dimensions, expected a 1-D series", rank));
  hsize_t rows = 0;
  site.ok(H5Sget_simple_extent_dims(space.get(), &rows, nullptr), "reading the length of " + member);
  std::vector<T> values(rows);
  if (rows > 0) {
    site.ok(H5Dread(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), "reading " + member);
  }
  return values;
}

Handle open_group(hid_t parent, const std::string& parent_path, const std::string& name, const Site& site) {
  const std::string member = child_path(parent_path, name);
  if (site.ok(H5Lexists(parent, name.c_str(), H5P_DEFAULT), "looking up " + member) == 0) {
    site.bad_member("group " + member, "is missing");
  }
  return site.handle(H5Gopen2(parent, name.c_str(), H5P_DEFAULT), H5Gclose, "opening group " + member);
}

template <typename T>
std::vector<T> read_named_series(hid_t group, const std::string& group_path, const std::string& name,
                                 hid_t memory_type, bool swmr, const Site& site) {
  const std::string member = child_path(group_path, name);
  if (site.ok(H5Lexists(group, name.c_str(), H5P_DEFAULT), "looking up " + member) == 0) {
    site.bad_member("dataset " + member, "is missing");
  }
  const Handle dataset = site.handle(H5Dopen2(group, name.c_str(), H5P_DEFAULT), H5Dclose, "opening " + member);
  return read_series<T>(dataset.get(), member, memory_type, swmr, site);
}

herr_t collect_link_name(hid_t /*group*/, const char* name, const H5L_info_t* /*info*/, void* out) {
  static_cast<std::vector<std::string>*>(out)->emplace_back(name);
  return 0;
}

std::vector<std::string> link_names(hid_t group, const std::string& group_path, const Site& site) {
  std::vector<std::string> names;
  site.ok(H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_link_name, &names),
          "listing the members of " + group_path);
  return names;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// RunWriter

struct RunWriter::Impl {
  struct EvalTask {
    std::vector<std::string> metrics;
    Series samples_seen;
    std::vector<Series> values;  // parallel to metrics
    hsize_t rows = 0;
  };

  Impl(const std::string& path, const RunHeader& header, const std::vector<EvalTaskLayout>& eval_tasks);
  ~Impl();
  void append_train(const TrainRecord& record);
  void append_eval(const std::string& task, int64_t samples_seen, const std::map<std::string, double>& metrics);
  void finish(const std::string& status, const std::map<std::string, std::map<std::string, double>>& final_metrics);
  const EvalTask& task(const std::string& name) const;

  Site site;
  Handle file;  // declared before the datasets, so it closes after them
  std::vector<Series> train_int64s;    // parallel to kTrainInt64s
  std::vector<Series> train_float64s;  // parallel to kTrainFloat64s
  hsize_t train_rows = 0;
  std::map<std::string, EvalTask> eval;
  bool finished = false;     ///< finish() completed
  bool swmr_closed = false;  ///< finish() has closed the SWMR session (appends are over)
};

namespace {

void check_layout(const std::string& path, const RunHeader& header, const std::vector<EvalTaskLayout>& eval_tasks) {
  const std::set<std::string> reserved = reserved_root_attrs();
  for (const auto& [name, value] : header.extra_string_attrs) {
    CLIPSCALE_CHECK(!name.empty() && reserved.count(name) == 0)
        << "run file " << path << ": extra string attribute '" << name << "' is empty or reserved";
  }
  for (const auto& [name, value] : header.extra_number_attrs) {
    CLIPSCALE_CHECK(!name.empty() && reserved.count(name) == 0 && header.extra_string_attrs.count(name) == 0)
        << "run file " << path << ": extra number attribute '" << name << "' is empty, reserved or also a string";
  }
  std::set<std::string> tasks;
  for (const EvalTaskLayout& layout : eval_tasks) {
    CLIPSCALE_CHECK(!layout.task.empty() && layout.task != "." && layout.task.find('/') == std::string::npos)
        << "run file " << path << ": eval task name '" << layout.task << "' must be non-empty and contain no '/'";
    CLIPSCALE_CHECK(tasks.insert(layout.task).second) << "run file " << path << ": eval task '" << layout.task
                                                      << "' is listed twice";
    std::set<std::string> metrics;
    for (const std::string& metric : layout.metrics) {
      CLIPSCALE_CHECK(!metric.empty() && metric != "." && metric.find('/') == std::string::npos &&
                      metric != kSamplesSeenSeries)
          << "run file " << path << ": eval task '" << layout.task << "' has a bad metric name '" << metric
          << "' (empty, containing '/', or \"samples_seen\")";
      CLIPSCALE_CHECK(metrics.insert(metric).second)
          << "run file " << path << ": eval task '" << layout.task << "' lists metric '" << metric << "' twice";
    }
  }
}

}  // namespace

RunWriter::Impl::Impl(const std::string& path, const RunHeader& header, const std::vector<EvalTaskLayout>& eval_tasks)
    : site(path, Site::Mode::kWrite) {
  check_layout(path, header, eval_tasks);

  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      throw core::UserError(fmt::format("run file '{}': cannot create directory '{}': {}. HINT: check that the "
                                        "results directory is writable.",
                                        path, parent.string(), ec.message()));
    }
  }
  const Handle fapl = latest_format_fapl(site);
  const hid_t file_id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get());
  if (file_id < 0) {
    throw core::UserError(fmt::format(
        "run file '{}': cannot be created ({}). HINT: check that the directory is writable and that no other "
        "process (an h5py session, say) has the file open.",
        path, take_hdf5_error()));
  }
  file = Handle(file_id, H5Fclose);

  const hid_t root = file.get();
  put_int64_attr(root, "/", kSchemaVersionAttr, kRunFileSchemaVersion, site);
  for (const HeaderString& f : kHeaderStrings) put_string_attr(root, "/", f.name, header.*f.member, site);
  for (const HeaderInt64& f : kHeaderInt64s) put_int64_attr(root, "/", f.name, header.*f.member, site);
  put_double_attr(root, "/", kFlopsAttr, header.flops_per_sample, site);
  for (const auto& [name, value] : header.extra_string_attrs) put_string_attr(root, "/", name.c_str(), value, site);
  for (const auto& [name, value] : header.extra_number_attrs) put_double_attr(root, "/", name.c_str(), value, site);
  put_string_attr(root, "/", kStatusAttr, kRunStatusRunning, site);

  {
    const Handle train = site.handle(H5Gcreate2(root, "train", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                                     "creating group /train");
    for (const TrainInt64& f : kTrainInt64s) {
      train_int64s.push_back(create_series(train.get(), "/train", f.name, H5T_STD_I64LE, site));
    }
    for (const TrainFloat64& f : kTrainFloat64s) {
      train_float64s.push_back(create_series(train.get(), "/train", f.name, H5T_IEEE_F64LE, site));
    }
  }
  {
    const Handle eval_group = site.handle(H5Gcreate2(root, "eval", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                                          H5Gclose, "creating group /eval");
    for (const EvalTaskLayout& layout : eval_tasks) {
      const std::string group_path = child_path("/eval", layout.task);
      const Handle group = site.handle(
          H5Gcreate2(eval_group.get(), layout.task.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
          "creating group " + group_path);
      EvalTask& task = eval[layout.task];
      task.metrics = layout.metrics;
      task.samples_seen = create_series(group.get(), group_path, kSamplesSeenSeries, H5T_STD_I64LE, site);
      for (const std::string& metric : layout.metrics) {
        task.values.push_back(create_series(group.get(), group_path, metric, H5T_IEEE_F64LE, site));
        put_double_attr(group.get(), group_path, metric.c_str(), std::numeric_limits<double>::quiet_NaN(), site);
      }
    }
  }
  // From here on no object or attribute may be created; datasets stay open for appending.
  site.ok(H5Fstart_swmr_write(file.get()), "starting SWMR writing");
}

RunWriter::Impl::~Impl() {
  if (finished) return;
  try {
    finish(kRunStatusFailed, {});
  } catch (...) {
    // Best effort: a destructor must not throw, and a run that dies this way may stay "running".
  }
}

const RunWriter::Impl::EvalTask& RunWriter::Impl::task(const std::string& name) const {
  const auto it = eval.find(name);
  if (it == eval.end()) {
    std::string known;
    for (const auto& [task_name, t] : eval) known += (known.empty() ? "" : ", ") + task_name;
    CLIPSCALE_CHECK(false) << "run file " << site.path() << ": unknown eval task '" << name
                           << "'; the layout has: " << (known.empty() ? "(none)" : known);
  }
  return it->second;
}

void RunWriter::Impl::append_train(const TrainRecord& record) {
  CLIPSCALE_CHECK(!finished && !swmr_closed) << "run file " << site.path() << ": append_train after finish()";
  for (size_t i = 0; i < train_int64s.size(); ++i) {
    append_value(train_int64s[i], train_rows, H5T_NATIVE_INT64, &(record.*kTrainInt64s[i].member), site);
  }
  for (size_t i = 0; i < train_float64s.size(); ++i) {
    append_value(train_float64s[i], train_rows, H5T_NATIVE_DOUBLE, &(record.*kTrainFloat64s[i].member), site);
  }
  ++train_rows;
}

void RunWriter::Impl::append_eval(const std::string& task_name, int64_t samples_seen,
                                  const std::map<std::string, double>& metrics) {
  CLIPSCALE_CHECK(!finished && !swmr_closed) << "run file " << site.path() << ": append_eval after finish()";
  const EvalTask& t = task(task_name);
  for (const auto& [metric, value] : metrics) {
    CLIPSCALE_CHECK(std::find(t.metrics.begin(), t.metrics.end(), metric) != t.metrics.end())
        << "run file " << site.path() << ": eval task '" << task_name << "' has no metric '" << metric << "'";
  }
  append_value(t.samples_seen, t.rows, H5T_NATIVE_INT64, &samples_seen, site);
  for (size_t i = 0; i < t.metrics.size(); ++i) {
    const auto it = metrics.find(t.metrics[i]);
    const double value = it != metrics.end() ? it->second : std::numeric_limits<double>::quiet_NaN();
    append_value(t.values[i], t.rows, H5T_NATIVE_DOUBLE, &value, site);
  }
  ++eval[task_name].rows;
}

void RunWriter::Impl::finish(const std::string& status,
                             const std::map<std::string, std::map<std::string, double>>& final_metrics) {
  CLIPSCALE_CHECK(!finished) << "run file " << site.path() << ": finish() called twice";
  CLIPSCALE_CHECK(is_final_status(status)) << "run file " << site.path() << ": status '" << status
                                           << "' is not one of done, failed, preempted";
  for (const auto& [task_name, metrics] : final_metrics) {
    const EvalTask& t = task(task_name);
    for (const auto& [metric, value] : metrics) {
      CLIPSCALE_CHECK(std::find(t.metrics.begin(), t.metrics.end(), metric) != t.metrics.end())
          << "run file " << site.path() << ": final metrics name '" << metric << "', which eval task '"
          << task_name << "' does not have";
    }
  }
  // Leave SWMR mode: the file only really closes once every dataset is closed. A finish() that
  // failed after this point may be retried (e.g. with status "failed"): it skips this step.
  if (!swmr_closed) {
    swmr_closed = true;
    eval.clear();
    train_int64s.clear();
    train_float64s.clear();
    site.ok(file.reset(), "closing the file to end SWMR writing");
  }

  const Handle fapl = latest_format_fapl(site);
  hid_t file_id = H5I_INVALID_HID;
  for (int attempt = 1; attempt <= kReopenAttempts && file_id < 0; ++attempt) {
    if (attempt > 1) std::this_thread::sleep_for(kReopenDelay);
    H5Eclear2(H5E_DEFAULT);
    file_id = H5Fopen(site.path().c_str(), H5F_ACC_RDWR, fapl.get());
  }
  if (file_id < 0) {
    // A reader keeps the file open (a dashboard polling with swmr=True, say) and waiting could take
    // forever. Only attributes change from here on, which leaves the file sound; that reader may
    // fail to read them (their new heap blocks lie past the end it knows) until it reopens.
#if H5_VERSION_GE(1, 10, 7)
    H5Eclear2(H5E_DEFAULT);
    site.ok(H5Pset_file_locking(fapl.get(), false, true), "turning off file locking");
    file_id = H5Fopen(site.path().c_str(), H5F_ACC_RDWR, fapl.get());
#endif
  }
  file = site.handle(file_id, H5Fclose, "reopening the file read-write to record the final status");

  const Handle eval_group = site.handle(H5Gopen2(file.get(), "eval", H5P_DEFAULT), H5Gclose, "opening group /eval");
  for (const auto& [task_name, metrics] : final_metrics) {
    const std::string group_path = child_path("/eval", task_name);
    const Handle group = site.handle(H5Gopen2(eval_group.get(), task_name.c_str(), H5P_DEFAULT), H5Gclose,
                                     "opening group " + group_path);
    for (const auto& [metric, value] : metrics) put_double_attr(group.get(), group_path, metric.c_str(), value, site);
  }
  put_string_attr(file.get(), "/", kStatusAttr, status, site);
  put_string_attr(file.get(), "/", kFinishedAttr, utc_timestamp(), site);
  site.ok(file.reset(), "closing the file");
  finished = true;
}

RunWriter::RunWriter(const std::string& path, const RunHeader& header, const std::vector<EvalTaskLayout>& eval_tasks) {
  const QuietHdf5Errors quiet;
  impl_ = std::make_unique<Impl>(path, header, eval_tasks);
}

RunWriter::RunWriter(const std::string& path, const RunHeader& header, const std::vector<EvalTaskLayout>& eval_tasks,
                     const std::vector<TrainRecord>& previous_train,
                     const std::map<std::string, std::map<std::string, std::vector<double>>>& previous_eval) {
  const QuietHdf5Errors quiet;
  const std::string tmp = path + ".resume.tmp";
  impl_ = std::make_unique<Impl>(tmp, header, eval_tasks);
  for (const TrainRecord& record : previous_train) impl_->append_train(record);
  for (const auto& [task, series] : previous_eval) {
    if (impl_->eval.count(task) == 0) continue;  // a task this run no longer evaluates
    const auto samples = series.find(kSamplesSeenSeries);
    if (samples == series.end()) continue;
    for (size_t row = 0; row < samples->second.size(); ++row) {
      std::map<std::string, double> metrics;
      for (const std::string& metric : impl_->eval.at(task).metrics) {
        const auto values = series.find(metric);
        if (values != series.end() && row < values->second.size()) metrics[metric] = values->second[row];
      }
      impl_->append_eval(task, static_cast<int64_t>(samples->second[row]), metrics);
    }
  }
  // The open file follows the rename (same inode); finish() reopens it by its final name.
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    throw core::Error(fmt::format("run file '{}': cannot replace it with the resumed file '{}': {}", path, tmp,
                                  std::strerror(errno)));
  }
  impl_->site.set_path(path);
}

RunWriter::RunWriter(RunWriter&&) noexcept = default;
RunWriter& RunWriter::operator=(RunWriter&&) noexcept = default;

RunWriter::~RunWriter() {
  if (!impl_) return;
  const QuietHdf5Errors quiet;
  impl_.reset();
}

void RunWriter::append_train(const TrainRecord& record) {
  CLIPSCALE_CHECK(impl_ != nullptr) << "append_train on a moved-from RunWriter";
  const QuietHdf5Errors quiet;
  impl_->append_train(record);
}

void RunWriter::append_eval(const std::string& task, int64_t samples_seen, const std::map<std::string, double>& metrics) {
  CLIPSCALE_CHECK(impl_ != nullptr) << "append_eval on a moved-from RunWriter";
  const QuietHdf5Errors quiet;
  impl_->append_eval(task, samples_seen, metrics);
}

void RunWriter::finish(const std::string& status,
                       const std::map<std::string, std::map<std::string, double>>& final_metrics) {
  CLIPSCALE_CHECK(impl_ != nullptr) << "finish on a moved-from RunWriter";
  const QuietHdf5Errors quiet;
  impl_->finish(status, final_metrics);
}

const std::string& RunWriter::path() const {
  CLIPSCALE_CHECK(impl_ != nullptr) << "path() on a moved-from RunWriter";
  return impl_->site.path();
}

// ---------------------------------------------------------------------------------------------
// read_run_file

RunFile read_run_file(const std::string& path) {
  const QuietHdf5Errors quiet;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    throw core::UserError(fmt::format("run file '{}' not found. HINT: check the path; run files are written to "
                                      "results/<sweep>/runs/<run_id>.h5.",
                                      path));
  }
  const Site site(path, Site::Mode::kRead);

  // SWMR read works both while a writer is active and after a writer was killed (when a plain
  // open is refused); a plain open is the fallback for files not in the latest format.
  const Handle fapl = latest_format_fapl(site);
  hid_t file_id = H5I_INVALID_HID;
  bool swmr = false;
  std::string open_error;
  for (int attempt = 1; attempt <= kReadOpenAttempts; ++attempt) {
    if (attempt > 1) std::this_thread::sleep_for(kReadOpenDelay);
    H5Eclear2(H5E_DEFAULT);
    file_id = H5Fopen(path.c_str(), H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, fapl.get());
    swmr = file_id >= 0;
    if (file_id < 0) {
      H5Eclear2(H5E_DEFAULT);
      file_id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    }
    if (file_id >= 0) break;
    open_error = take_hdf5_error();
    // Only a lock held by a finishing writer is worth waiting for.
    if (open_error.find("lock") == std::string::npos) break;
  }
  if (file_id < 0) {
    throw core::UserError(fmt::format(
        "run file '{}' cannot be opened as HDF5 ({}). HINT: check that the path names a run file written by "
        "clipscale (results/<sweep>/runs/<run_id>.h5) and that it was not cut short while copying.",
        path, open_error));
  }
  const Handle file(file_id, H5Fclose);
  const hid_t root = file.get();

  RunFile run;
  if (site.ok(H5Aexists(root, kSchemaVersionAttr), "looking up the schema version") == 0) {
    site.bad_member(attr_member("/", kSchemaVersionAttr),
                    fmt::format("is missing, expected {}", kRunFileSchemaVersion));
  }
  run.schema_version = read_int64_attr(root, "/", kSchemaVersionAttr, site);
  if (run.schema_version != kRunFileSchemaVersion) {
    std::string git_sha = "unknown";
    if (H5Aexists(root, "git_sha") > 0) {
      try {
        git_sha = read_string_attr(root, "/", "git_sha", site);
      } catch (const core::Error&) {
        // Only decorates the message below.
      }
    }
    throw core::UserError(fmt::format(
        "run file '{}': {} is {}, expected {}. HINT: the file was written by {} clipscale (git_sha {}); read it "
        "with that version, or re-run to rewrite it.",
        path, attr_member("/", kSchemaVersionAttr), run.schema_version, kRunFileSchemaVersion,
        run.schema_version > kRunFileSchemaVersion ? "a newer" : "an older", git_sha));
  }

  for (const HeaderString& f : kHeaderStrings) run.header.*f.member = read_string_attr(root, "/", f.name, site);
  for (const HeaderInt64& f : kHeaderInt64s) run.header.*f.member = read_int64_attr(root, "/", f.name, site);
  run.header.flops_per_sample = read_double_attr(root, "/", kFlopsAttr, site);
  run.status = read_string_attr(root, "/", kStatusAttr, site);
  const std::set<std::string> reserved = reserved_root_attrs();
  for (const std::string& name : attr_names(root, "/", site)) {
    if (name == kFinishedAttr) {
      run.finished_utc = read_string_attr(root, "/", name, site);
      continue;
    }
    if (reserved.count(name) != 0) continue;
    const OpenAttr a = open_attr(root, "/", name, site);
    if (a.type_class == H5T_STRING) {
      run.header.extra_string_attrs[name] = read_string(a, site);
    } else if (a.type_class == H5T_INTEGER || a.type_class == H5T_FLOAT) {
      run.header.extra_number_attrs[name] = read_number<double>(a, H5T_NATIVE_DOUBLE, site);
    }
  }

  // A reader can catch the writer between two series of one append; keep the complete rows.
  {
    const Handle train = open_group(root, "/", "train", site);
    std::vector<std::vector<int64_t>> int64s;
    std::vector<std::vector<double>> float64s;
    size_t rows = std::numeric_limits<size_t>::max();
    for (const TrainInt64& f : kTrainInt64s) {
      int64s.push_back(read_named_series<int64_t>(train.get(), "/train", f.name, H5T_NATIVE_INT64, swmr, site));
      rows = std::min(rows, int64s.back().size());
    }
    for (const TrainFloat64& f : kTrainFloat64s) {
      float64s.push_back(read_named_series<double>(train.get(), "/train", f.name, H5T_NATIVE_DOUBLE, swmr, site));
      rows = std::min(rows, float64s.back().size());
    }
    run.train.resize(rows);
    for (size_t r = 0; r < rows; ++r) {
      for (size_t i = 0; i < int64s.size(); ++i) run.train[r].*kTrainInt64s[i].member = int64s[i][r];
      for (size_t i = 0; i < float64s.size(); ++i) run.train[r].*kTrainFloat64s[i].member = float64s[i][r];
    }
  }

  const Handle eval_group = open_group(root, "/", "eval", site);
  for (const std::string& task_name : link_names(eval_group.get(), "/eval", site)) {
    const std::string group_path = child_path("/eval", task_name);
    const Handle object = site.handle(H5Oopen(eval_group.get(), task_name.c_str(), H5P_DEFAULT), H5Oclose,
                                      "opening " + group_path);
    if (H5Iget_type(object.get()) != H5I_GROUP) continue;  // not a task; tolerated for forward compatibility

    std::map<std::string, std::vector<double>> series;
    series[kSamplesSeenSeries] =
        read_named_series<double>(object.get(), group_path, kSamplesSeenSeries, H5T_NATIVE_DOUBLE, swmr, site);
    size_t rows = series[kSamplesSeenSeries].size();
    for (const std::string& name : link_names(object.get(), group_path, site)) {
      if (name == kSamplesSeenSeries) continue;
      const std::string member = child_path(group_path, name);
      const Handle child = site.handle(H5Oopen(object.get(), name.c_str(), H5P_DEFAULT), H5Oclose, "opening " + member);
      if (H5Iget_type(child.get()) != H5I_DATASET) continue;
      series[name] = read_series<double>(child.get(), member, H5T_NATIVE_DOUBLE, swmr, site);
      rows = std::min(rows, series[name].size());
    }
    for (auto& [name, values] : series) values.resize(rows);
    run.eval_series[task_name] = std::move(series);

    std::map<std::string, double>& finals = run.eval_final[task_name];
    for (const std::string& name : attr_names(object.get(), group_path, site)) {
      const OpenAttr a = open_attr(object.get(), group_path, name, site);
      if (a.type_class == H5T_INTEGER || a.type_class == H5T_FLOAT) {
        finals[name] = read_number<double>(a, H5T_NATIVE_DOUBLE, site);
      }
    }
  }
  return run;
}

}  // namespace clipscale::io
