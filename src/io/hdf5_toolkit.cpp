#include "io/hdf5_toolkit.h"

#include <sys/statvfs.h>

#include <algorithm>

#include <fmt/format.h>

namespace clipscale::io::hdf5 {
namespace {

// HDF5's file drivers describe a failed system call in one long line ("file write failed: time =
// ..., errno = 28, error message = 'No space left on device', buf = ..."); keep the part a user
// can act on: "file write failed (No space left on device)".
std::string condense(std::string desc) {
  const std::string marker = "error message = '";
  const size_t at = desc.find(marker);
  if (at != std::string::npos) {
    const size_t start = at + marker.size();
    const size_t end = desc.find('\'', start);
    const std::string message = desc.substr(start, end == std::string::npos ? std::string::npos : end - start);
    desc = desc.substr(0, std::min(desc.find(':'), at)) + " (" + message + ")";
  }
  std::replace(desc.begin(), desc.end(), '\n', ' ');
  return desc;
}

herr_t collect_error(unsigned /*n*/, const H5E_error2_t* err, void* out) {
  static_cast<std::vector<std::string>*>(out)->push_back(
      fmt::format("{}(): {}", err->func_name ? err->func_name : "?", condense(err->desc ? err->desc : "")));
  return 0;
}

herr_t collect_link_name(hid_t /*group*/, const char* name, const H5L_info_t* /*info*/, void* out) {
  static_cast<std::vector<std::string>*>(out)->emplace_back(name);
  return 0;
}

herr_t collect_attr_name(hid_t /*object*/, const char* name, const H5A_info_t* /*info*/, void* out) {
  static_cast<std::vector<std::string>*>(out)->emplace_back(name);
  return 0;
}

const char* type_class_name(H5T_class_t type_class) {
  switch (type_class) {
    case H5T_INTEGER: return "an integer";
    case H5T_FLOAT: return "a float";
    case H5T_STRING: return "a string";
    default: return "a value of another HDF5 type";
  }
}

}  // namespace

// ---- errors ----

QuietErrors::QuietErrors() {
  if (H5Eget_auto2(H5E_DEFAULT, &func_, &data_) >= 0) {
    saved_ = true;
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
}

QuietErrors::~QuietErrors() {
  if (saved_) H5Eset_auto2(H5E_DEFAULT, func_, data_);
}

std::string take_error() {
  const hid_t stack = H5Eget_current_stack();
  if (stack < 0) return "no HDF5 error details";
  std::vector<std::string> lines;
  H5Ewalk2(stack, H5E_WALK_DOWNWARD, collect_error, &lines);
  H5Eclose_stack(stack);
  if (lines.empty()) return "no HDF5 error details";
  if (lines.size() == 1) return lines.front();
  return lines.front() + "; " + lines.back();
}

// ---- Handle ----

Handle::Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)), close_(other.close_) {}

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    close();
    id_ = std::exchange(other.id_, H5I_INVALID_HID);
    close_ = other.close_;
  }
  return *this;
}

herr_t Handle::close() {
  herr_t status = 0;
  if (id_ >= 0 && close_ != nullptr) status = close_(id_);
  id_ = H5I_INVALID_HID;
  return status;
}

// ---- Site ----

Site::Site(std::string label, std::string path, Mode mode)
    : label_(std::move(label)), path_(std::move(path)), mode_(mode) {}

std::string Site::where() const { return label_.empty() ? path_ : fmt::format("{} '{}'", label_, path_); }

void Site::fail(const std::string& what) const {
  const std::string detail = take_error();
  if (mode_ == Mode::kRead) {
    throw core::UserError(
        fmt::format("{}: {} failed ({}). HINT: the file is damaged or was not written by "
                    "clipscale; `h5dump -H -A {}` shows what it holds.",
                    where(), what, detail, path_));
  }
  throw Failure(fmt::format("{}: {} failed ({})", where(), what, detail), what, detail);
}

void Site::bad_member(const std::string& member, const std::string& problem) const {
  throw core::UserError(
      fmt::format("{}: {} {}. HINT: the file is damaged or was not written by clipscale; "
                  "`h5dump -H -A {}` shows what it holds.",
                  where(), member, problem, path_));
}

hid_t Site::id(hid_t id, const std::string& what) const {
  if (id < 0) fail(what);
  return id;
}

int Site::ok(int status, const std::string& what) const {
  if (status < 0) fail(what);
  return status;
}

Handle Site::handle(hid_t id, Handle::Closer close, const std::string& what) const {
  return Handle(this->id(id, what), close);
}

std::string attr_member(const std::string& object, const std::string& name) {
  return fmt::format("attribute '{}' of {}", name, object);
}

std::string child_path(const std::string& group, const std::string& name) {
  return group.empty() || group == "/" ? "/" + name : group + "/" + name;
}

// ---- files, property lists, types ----

Handle latest_format_fapl(const Site& site) {
  Handle fapl = site.handle(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, "creating file access properties");
  site.ok(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_LATEST, H5F_LIBVER_LATEST), "selecting the latest file format");
  return fapl;
}

Handle creation_order_plist(hid_t plist_class, const Site& site) {
  Handle plist = site.handle(H5Pcreate(plist_class), H5Pclose, "creating creation properties");
  const unsigned order = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;
  site.ok(H5Pset_link_creation_order(plist.get(), order), "tracking the creation order of links");
  site.ok(H5Pset_attr_creation_order(plist.get(), order), "tracking the creation order of attributes");
  return plist;
}

bool disable_file_locking(hid_t fapl) {
#if H5_VERSION_GE(1, 10, 7)
  return H5Pset_file_locking(fapl, false, true) >= 0;
#else
  (void)fapl;
  return false;
#endif
}

Handle create_file(const std::string& path, unsigned flags, hid_t fcpl, hid_t fapl) {
  return Handle(H5Fcreate(path.c_str(), flags, fcpl, fapl), H5Fclose);
}

Handle open_file(const std::string& path, unsigned flags, hid_t fapl) {
  return Handle(H5Fopen(path.c_str(), flags, fapl), H5Fclose);
}

void flush_and_close(Handle& file, const Site& site, const std::string& what) {
  if (!file.valid()) return;
  site.ok(H5Fflush(file.get(), H5F_SCOPE_LOCAL), "flushing the file before " + what);
  site.ok(file.close(), what);
}

std::optional<uint64_t> free_bytes(const std::string& path) {
  struct statvfs fs {};
  if (::statvfs(path.c_str(), &fs) != 0) return std::nullopt;
  return static_cast<uint64_t>(fs.f_bavail) * static_cast<uint64_t>(fs.f_frsize);
}

Handle utf8_string_type(const Site& site) {
  Handle type = site.handle(H5Tcopy(H5T_C_S1), H5Tclose, "creating a string type");
  site.ok(H5Tset_size(type.get(), H5T_VARIABLE), "making the string type variable-length");
  site.ok(H5Tset_cset(type.get(), H5T_CSET_UTF8), "making the string type UTF-8");
  return type;
}

// ---- links and groups ----

bool link_exists(hid_t location, const std::string& name, const std::string& member, const Site& site) {
  return site.ok(H5Lexists(location, name.c_str(), H5P_DEFAULT), "looking up " + member) > 0;
}

H5O_type_t object_type(hid_t location, const std::string& name) {
  H5O_info_t info;
  if (H5Oget_info_by_name2(location, name.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) {
    H5Eclear2(H5E_DEFAULT);
    return H5O_TYPE_UNKNOWN;
  }
  return info.type;
}

std::vector<std::string> link_names(hid_t group, const std::string& group_path, const Site& site) {
  std::vector<std::string> names;
  hsize_t index = 0;
  if (H5Literate(group, H5_INDEX_CRT_ORDER, H5_ITER_INC, &index, collect_link_name, &names) >= 0) return names;
  // The group does not track creation order.
  names.clear();
  index = 0;
  H5Eclear2(H5E_DEFAULT);
  site.ok(H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, &index, collect_link_name, &names),
          "listing the members of " + group_path);
  return names;
}

Handle create_group(hid_t parent, const std::string& parent_path, const std::string& name, const Site& site,
                    hid_t gcpl) {
  return site.handle(H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, gcpl, H5P_DEFAULT), H5Gclose,
                     "creating group " + child_path(parent_path, name));
}

Handle open_group(hid_t parent, const std::string& parent_path, const std::string& name, const Site& site) {
  const std::string member = child_path(parent_path, name);
  if (!link_exists(parent, name, member, site)) site.bad_member("group " + member, "is missing");
  return site.handle(H5Gopen2(parent, name.c_str(), H5P_DEFAULT), H5Gclose, "opening group " + member);
}

Handle open_object(hid_t parent, const std::string& parent_path, const std::string& name, const Site& site) {
  return site.handle(H5Oopen(parent, name.c_str(), H5P_DEFAULT), H5Oclose, "opening " + child_path(parent_path, name));
}

// ---- attributes ----

void write_attr(hid_t object, const std::string& object_path, const std::string& name, const AttrValue& value,
                const Site& site) {
  const std::string member = attr_member(object_path, name);
  Handle string_type;
  hid_t file_type = H5T_STD_I64LE;
  hid_t memory_type = H5T_NATIVE_INT64;
  H5T_class_t kind = H5T_INTEGER;
  const char* text = nullptr;
  const void* data = std::get_if<int64_t>(&value);
  if (const auto* s = std::get_if<std::string>(&value)) {
    string_type = utf8_string_type(site);
    file_type = memory_type = string_type.get();
    kind = H5T_STRING;
    text = s->c_str();
    data = &text;
  } else if (const auto* d = std::get_if<double>(&value)) {
    file_type = H5T_IEEE_F64LE;
    memory_type = H5T_NATIVE_DOUBLE;
    kind = H5T_FLOAT;
    data = d;
  }
  Handle attr;
  if (has_attr(object, object_path, name, site)) {
    attr = site.handle(H5Aopen(object, name.c_str(), H5P_DEFAULT), H5Aclose, "opening " + member);
    const Handle stored = site.handle(H5Aget_type(attr.get()), H5Tclose, "reading the type of " + member);
    if (H5Tget_class(stored.get()) != kind) {
      attr.close();
      site.ok(H5Adelete(object, name.c_str()), "replacing " + member);
    }
  }
  if (!attr.valid()) {
    const Handle space = site.handle(H5Screate(H5S_SCALAR), H5Sclose, "creating a scalar dataspace");
    attr = site.handle(H5Acreate2(object, name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                       "creating " + member);
  }
  site.ok(H5Awrite(attr.get(), memory_type, data), "writing " + member);
}

std::vector<std::string> attr_names(hid_t object, const std::string& object_path, const Site& site) {
  std::vector<std::string> names;
  hsize_t index = 0;
  site.ok(H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, &index, collect_attr_name, &names),
          "listing the attributes of " + object_path);
  return names;
}

bool has_attr(hid_t object, const std::string& object_path, const std::string& name, const Site& site) {
  return site.ok(H5Aexists(object, name.c_str()), "looking up " + attr_member(object_path, name)) > 0;
}

Attr open_attr(hid_t object, const std::string& object_path, const std::string& name, const Site& site) {
  Attr a;
  a.member = attr_member(object_path, name);
  if (!has_attr(object, object_path, name, site)) site.bad_member(a.member, "is missing");
  a.attr = site.handle(H5Aopen(object, name.c_str(), H5P_DEFAULT), H5Aclose, "opening " + a.member);
  const Handle space = site.handle(H5Aget_space(a.attr.get()), H5Sclose, "reading the shape of " + a.member);
  const hssize_t count = H5Sget_simple_extent_npoints(space.get());
  if (count != 1) site.bad_member(a.member, fmt::format("holds {} values, expected a single value", count));
  a.type = site.handle(H5Aget_type(a.attr.get()), H5Tclose, "reading the type of " + a.member);
  a.type_class = H5Tget_class(a.type.get());
  return a;
}

std::string read_string(const Attr& a, const Site& site) {
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

namespace {

template <typename T>
T read_number(const Attr& a, hid_t memory_type, const Site& site) {
  if (a.type_class != H5T_INTEGER && a.type_class != H5T_FLOAT) {
    site.bad_member(a.member, fmt::format("is {}, expected a number", type_class_name(a.type_class)));
  }
  T value{};
  site.ok(H5Aread(a.attr.get(), memory_type, &value), "reading " + a.member);
  return value;
}

}  // namespace

int64_t read_int64(const Attr& a, const Site& site) { return read_number<int64_t>(a, H5T_NATIVE_INT64, site); }

double read_double(const Attr& a, const Site& site) { return read_number<double>(a, H5T_NATIVE_DOUBLE, site); }

AttrValue read_value(const Attr& a, const Site& site) {
  switch (a.type_class) {
    case H5T_FLOAT: return read_double(a, site);
    case H5T_INTEGER: return read_int64(a, site);
    case H5T_STRING: return read_string(a, site);
    default: site.bad_member(a.member, "has an HDF5 type other than float, integer or string");
  }
}

std::string read_string_attr(hid_t object, const std::string& object_path, const std::string& name, const Site& site) {
  return read_string(open_attr(object, object_path, name, site), site);
}

int64_t read_int64_attr(hid_t object, const std::string& object_path, const std::string& name, const Site& site) {
  return read_int64(open_attr(object, object_path, name, site), site);
}

double read_double_attr(hid_t object, const std::string& object_path, const std::string& name, const Site& site) {
  return read_double(open_attr(object, object_path, name, site), site);
}

// ---- datasets ----

void write_dataset(hid_t location, const std::string& location_path, const std::string& name, hid_t file_type,
                   hid_t memory_type, const std::vector<hsize_t>& dims, const void* data, const Site& site) {
  const std::string member = child_path(location_path, name);
  const Handle space = site.handle(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose,
                                   "creating the shape of " + member);
  const Handle set =
      site.handle(H5Dcreate2(location, name.c_str(), file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                  H5Dclose, "creating dataset " + member);
  site.ok(H5Dwrite(set.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), "writing dataset " + member);
}

void write_string_dataset(hid_t location, const std::string& location_path, const std::string& name,
                          const std::vector<std::string>& values, const Site& site) {
  std::vector<const char*> pointers;
  pointers.reserve(values.size());
  for (const std::string& v : values) pointers.push_back(v.c_str());
  const Handle type = utf8_string_type(site);
  write_dataset(location, location_path, name, type.get(), type.get(), {values.size()}, pointers.data(), site);
}

hsize_t dataset_rows(hid_t dataset, const std::string& member, const Site& site) {
  const Handle space = site.handle(H5Dget_space(dataset), H5Sclose, "reading the shape of " + member);
  const int rank = site.ok(H5Sget_simple_extent_ndims(space.get()), "reading the rank of " + member);
  if (rank != 1) site.bad_member(member, fmt::format("has {} dimensions, expected 1", rank));
  hsize_t rows = 0;
  site.ok(H5Sget_simple_extent_dims(space.get(), &rows, nullptr), "reading the length of " + member);
  return rows;
}

template <typename T>
std::vector<T> read_values(hid_t dataset, const std::string& member, hid_t memory_type, bool refresh,
                           const Site& site) {
  if (refresh) site.ok(H5Drefresh(dataset), "refreshing " + member);
  std::vector<T> values(dataset_rows(dataset, member, site));
  if (!values.empty()) {
    site.ok(H5Dread(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), "reading " + member);
  }
  return values;
}

template <typename T>
std::vector<T> read_named_values(hid_t group, const std::string& group_path, const std::string& name, hid_t memory_type,
                                 bool refresh, const Site& site) {
  const std::string member = child_path(group_path, name);
  if (!link_exists(group, name, member, site)) site.bad_member("dataset " + member, "is missing");
  const Handle dataset = site.handle(H5Dopen2(group, name.c_str(), H5P_DEFAULT), H5Dclose, "opening " + member);
  return read_values<T>(dataset.get(), member, memory_type, refresh, site);
}

template std::vector<int64_t> read_values<int64_t>(hid_t, const std::string&, hid_t, bool, const Site&);
template std::vector<double> read_values<double>(hid_t, const std::string&, hid_t, bool, const Site&);
template std::vector<int64_t> read_named_values<int64_t>(hid_t, const std::string&, const std::string&, hid_t, bool,
                                                         const Site&);
template std::vector<double> read_named_values<double>(hid_t, const std::string&, const std::string&, hid_t, bool,
                                                       const Site&);

std::vector<std::string> read_strings(hid_t dataset, const std::string& member, const Site& site) {
  const size_t rows = dataset_rows(dataset, member, site);
  const Handle file_type = site.handle(H5Dget_type(dataset), H5Tclose, "reading the type of " + member);
  std::vector<std::string> out(rows);
  if (rows == 0) return out;
  if (site.ok(H5Tis_variable_str(file_type.get()), "inspecting " + member) > 0) {
    std::vector<char*> pointers(rows, nullptr);
    const Handle memory_type = utf8_string_type(site);
    site.ok(H5Dread(dataset, memory_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()),
            "reading " + member + " as strings");
    for (size_t r = 0; r < rows; ++r) {
      out[r] = pointers[r] != nullptr ? pointers[r] : "";
      H5free_memory(pointers[r]);
    }
    return out;
  }
  const size_t width = H5Tget_size(file_type.get());
  std::vector<char> buffer(width * rows);
  site.ok(H5Dread(dataset, file_type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()),
          "reading " + member + " as strings");
  for (size_t r = 0; r < rows; ++r) {
    const std::string cell(buffer.data() + r * width, width);
    out[r] = cell.substr(0, cell.find('\0'));  // fixed-length strings are NUL-padded
  }
  return out;
}

// ---- extendible series ----

Series create_series(hid_t group, const std::string& group_path, const std::string& name, hid_t file_type,
                     hsize_t chunk_rows, const Site& site) {
  Series s;
  s.path = child_path(group_path, name);
  const hsize_t rows = 0;
  const hsize_t max_rows = H5S_UNLIMITED;
  const Handle space = site.handle(H5Screate_simple(1, &rows, &max_rows), H5Sclose, "creating the shape of " + s.path);
  const Handle dcpl = site.handle(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, "creating properties for " + s.path);
  site.ok(H5Pset_chunk(dcpl.get(), 1, &chunk_rows), "setting the chunk size of " + s.path);
  s.dataset = site.handle(H5Dcreate2(group, name.c_str(), file_type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                          H5Dclose, "creating " + s.path);
  return s;
}

void append_row(const Series& s, hsize_t row, hid_t memory_type, const void* value, const Site& site) {
  const hsize_t rows = row + 1;
  const hsize_t one = 1;
  site.ok(H5Dset_extent(s.dataset.get(), &rows), "extending " + s.path);
  const Handle file_space = site.handle(H5Dget_space(s.dataset.get()), H5Sclose, "reading the shape of " + s.path);
  site.ok(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &row, nullptr, &one, nullptr),
          "selecting row " + std::to_string(row) + " of " + s.path);
  const Handle memory_space = site.handle(H5Screate_simple(1, &one, nullptr), H5Sclose, "creating a 1-row shape");
  site.ok(H5Dwrite(s.dataset.get(), memory_type, memory_space.get(), file_space.get(), H5P_DEFAULT, value),
          "writing row " + std::to_string(row) + " of " + s.path);
  // The row goes to disk now, not when the chunk cache evicts it: a SWMR reader sees what was
  // flushed, and a writer that is killed loses nothing it has appended.
  site.ok(H5Dflush(s.dataset.get()), "flushing row " + std::to_string(row) + " of " + s.path);
}

bool truncate_series(const Series& s, hsize_t rows) {
  if (!s.dataset.valid()) return false;
  const bool ok = H5Dset_extent(s.dataset.get(), &rows) >= 0 && H5Dflush(s.dataset.get()) >= 0;
  H5Eclear2(H5E_DEFAULT);
  return ok;
}

}  // namespace clipscale::io::hdf5
