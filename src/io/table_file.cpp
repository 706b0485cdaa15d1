#include "io/table_file.h"

#include <hdf5.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <set>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "core/error.h"

namespace clipscale::io {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRowsAttr = "n_rows";

// ---- HDF5 ----

// Owns an HDF5 identifier; closes it with the function given.
class H5Object {
 public:
  H5Object(hid_t id, herr_t (*closer)(hid_t)) : id_(id), closer_(closer) {}
  H5Object(H5Object&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)), closer_(o.closer_) {}
  H5Object(const H5Object&) = delete;
  H5Object& operator=(const H5Object&) = delete;
  H5Object& operator=(H5Object&& o) noexcept {
    if (this != &o) {
      if (id_ >= 0) closer_(id_);
      id_ = std::exchange(o.id_, H5I_INVALID_HID);
      closer_ = o.closer_;
    }
    return *this;
  }
  ~H5Object() {
    if (id_ >= 0) closer_(id_);
  }
  hid_t id() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*closer_)(hid_t);
};

H5Object utf8_string_type() {
  H5Object type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.id(), H5T_VARIABLE);
  H5Tset_cset(type.id(), H5T_CSET_UTF8);
  return type;
}

std::string join_path(const std::string& group, const std::string& name) {
  if (group.empty() || group == "/") return "/" + name;
  return group + "/" + name;
}

// "/a/b" -> {"a", "b"}.
std::vector<std::string> path_parts(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t slash = path.find('/', start);
    const std::string part = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!part.empty()) parts.push_back(part);
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return parts;
}

std::string normalise_group(const std::string& group) {
  std::string out;
  for (const std::string& part : path_parts(group)) out += "/" + part;
  return out.empty() ? "/" : out;
}

herr_t collect_link(hid_t /*group*/, const char* name, const H5L_info_t* /*info*/, void* out) {
  static_cast<std::vector<std::string>*>(out)->emplace_back(name);
  return 0;
}

herr_t collect_attribute(hid_t /*object*/, const char* name, const H5A_info_t* /*info*/, void* out) {
  static_cast<std::vector<std::string>*>(out)->emplace_back(name);
  return 0;
}

// Children of an open group, in creation order where the group tracks it, else by name.
std::vector<std::string> link_names(hid_t group) {
  std::vector<std::string> names;
  hsize_t index = 0;
  if (H5Literate(group, H5_INDEX_CRT_ORDER, H5_ITER_INC, &index, collect_link, &names) < 0) {
    names.clear();
    index = 0;
    H5Eclear2(H5E_DEFAULT);
    H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, &index, collect_link, &names);
  }
  return names;
}

H5O_type_t object_type(hid_t location, const std::string& name) {
  H5O_info_t info;
  if (H5Oget_info_by_name2(location, name.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return H5O_TYPE_UNKNOWN;
  return info.type;
}

}  // namespace

// ---- TableFileWriter ----

struct TableFileWriter::Impl {
  std::string path;
  std::string tmp_path;
  hid_t file = H5I_INVALID_HID;
  std::set<std::string> tables;  // groups written by write_table

  void check(bool ok, const std::string& what) const {
    CLIPSCALE_CHECK(ok) << "table file '" << path << "': HDF5 failed to " << what;
  }

  // Opens `group`, creating it and its parents (all tracking creation order) when missing.
  H5Object open_or_create_group(const std::string& group) {
    H5Object current(H5Gopen2(file, "/", H5P_DEFAULT), H5Gclose);
    std::string walked;
    for (const std::string& part : path_parts(group)) {
      walked += "/" + part;
      const htri_t exists = H5Lexists(current.id(), part.c_str(), H5P_DEFAULT);
      check(exists >= 0, "look up " + walked);
      if (exists > 0) {
        CLIPSCALE_CHECK(object_type(current.id(), part) == H5O_TYPE_GROUP)
            << "table file '" << path << "': " << walked << " is a dataset, not a group (a column name and a "
            << "nested column name clash)";
        current = H5Object(H5Gopen2(current.id(), part.c_str(), H5P_DEFAULT), H5Gclose);
      } else {
        H5Object gcpl(H5Pcreate(H5P_GROUP_CREATE), H5Pclose);
        H5Pset_link_creation_order(gcpl.id(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
        H5Pset_attr_creation_order(gcpl.id(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
        current = H5Object(H5Gcreate2(current.id(), part.c_str(), H5P_DEFAULT, gcpl.id(), H5P_DEFAULT), H5Gclose);
      }
      check(current.valid(), "open group " + walked);
    }
    return current;
  }

  void write_attribute(hid_t object, const std::string& where, const std::string& name, const AttributeValue& value) {
    if (H5Aexists(object, name.c_str()) > 0) H5Adelete(object, name.c_str());
    H5Object space(H5Screate(H5S_SCALAR), H5Sclose);
    const std::string what = "write attribute '" + name + "' of " + where;
    if (const auto* text = std::get_if<std::string>(&value)) {
      const H5Object type = utf8_string_type();
      H5Object attr(H5Acreate2(object, name.c_str(), type.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
      const char* pointer = text->c_str();
      check(attr.valid() && H5Awrite(attr.id(), type.id(), &pointer) >= 0, what);
    } else if (const auto* number = std::get_if<double>(&value)) {
      H5Object attr(H5Acreate2(object, name.c_str(), H5T_IEEE_F64LE, space.id(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
      check(attr.valid() && H5Awrite(attr.id(), H5T_NATIVE_DOUBLE, number) >= 0, what);
    } else {
      const int64_t integer = std::get<int64_t>(value);
      H5Object attr(H5Acreate2(object, name.c_str(), H5T_STD_I64LE, space.id(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
      check(attr.valid() && H5Awrite(attr.id(), H5T_NATIVE_INT64, &integer) >= 0, what);
    }
  }

  void write_column(const std::string& group, const Column& column) {
    const std::string full = join_path(group, column.name);
    const size_t slash = full.rfind('/');
    H5Object parent = open_or_create_group(full.substr(0, slash));
    const std::string leaf = full.substr(slash + 1);
    CLIPSCALE_CHECK(H5Lexists(parent.id(), leaf.c_str(), H5P_DEFAULT) == 0)
        << "table file '" << path << "': " << full << " exists already (column names clash)";
    const hsize_t rows = column_size(column.values);
    H5Object space(H5Screate_simple(1, &rows, nullptr), H5Sclose);
    auto create = [&](hid_t file_type) {
      return H5Object(
          H5Dcreate2(parent.id(), leaf.c_str(), file_type, space.id(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
          H5Dclose);
    };
    herr_t status = -1;
    if (const auto* d = std::get_if<std::vector<double>>(&column.values)) {
      const H5Object set = create(H5T_IEEE_F64LE);
      status = set.valid() ? H5Dwrite(set.id(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, d->data()) : -1;
    } else if (const auto* i = std::get_if<std::vector<int64_t>>(&column.values)) {
      const H5Object set = create(H5T_STD_I64LE);
      status = set.valid() ? H5Dwrite(set.id(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, i->data()) : -1;
    } else {
      const auto& texts = std::get<std::vector<std::string>>(column.values);
      std::vector<const char*> pointers;
      for (const std::string& t : texts) pointers.push_back(t.c_str());
      const H5Object type = utf8_string_type();
      const H5Object set = create(type.id());
      status = set.valid() ? H5Dwrite(set.id(), type.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()) : -1;
    }
    check(status >= 0, "write dataset " + full);
  }
};

TableFileWriter::TableFileWriter(std::string path) : impl_(std::make_unique<Impl>()) {
  impl_->path = std::move(path);
  const fs::path target(impl_->path);
  std::error_code ec;
  if (!target.parent_path().empty()) fs::create_directories(target.parent_path(), ec);
  impl_->tmp_path =
      (target.parent_path() / ("." + target.filename().string() + ".tmp." + std::to_string(::getpid()))).string();
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  H5Object fcpl(H5Pcreate(H5P_FILE_CREATE), H5Pclose);
  H5Pset_link_creation_order(fcpl.id(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
  H5Pset_attr_creation_order(fcpl.id(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
  impl_->file = H5Fcreate(impl_->tmp_path.c_str(), H5F_ACC_TRUNC, fcpl.id(), H5P_DEFAULT);
  if (impl_->file < 0) {
    throw core::UserError(
        fmt::format("{}: cannot create the HDF5 file (temporary name {}). HINT: check that the "
                    "folder exists and is writable.",
                    impl_->path, impl_->tmp_path));
  }
}

TableFileWriter::~TableFileWriter() {
  if (impl_ && impl_->file >= 0) {
    H5Fclose(impl_->file);
    std::error_code ec;
    fs::remove(impl_->tmp_path, ec);
  }
}

void TableFileWriter::write_table(const std::string& group, const Table& table) {
  CLIPSCALE_CHECK(impl_->file >= 0) << "table file '" << impl_->path << "' was committed already";
  const std::string key = normalise_group(group);
  CLIPSCALE_CHECK(impl_->tables.insert(key).second) << "table " << key << " written twice to " << impl_->path;
  {
    H5Object g = impl_->open_or_create_group(key);
    impl_->write_attribute(g.id(), key, kRowsAttr, static_cast<int64_t>(table.rows()));
  }
  for (const Column& column : table.columns()) impl_->write_column(key, column);
}

void TableFileWriter::set_attributes(const std::string& group, const Attributes& attributes) {
  CLIPSCALE_CHECK(impl_->file >= 0) << "table file '" << impl_->path << "' was committed already";
  const std::string key = normalise_group(group);
  H5Object g = impl_->open_or_create_group(key);
  for (const auto& [name, value] : attributes) impl_->write_attribute(g.id(), key, name, value);
}

void TableFileWriter::commit() {
  CLIPSCALE_CHECK(impl_->file >= 0) << "table file '" << impl_->path << "' was committed already";
  const herr_t closed = H5Fclose(impl_->file);
  impl_->file = H5I_INVALID_HID;
  std::error_code ec;
  if (closed >= 0) fs::rename(impl_->tmp_path, impl_->path, ec);
  if (closed < 0 || ec) {
    fs::remove(impl_->tmp_path, ec);
    throw core::UserError(
        fmt::format("{}: cannot write the file ({}). HINT: check that the folder is writable and "
                    "has free space.",
                    impl_->path, closed < 0 ? "HDF5 failed to close it" : ec.message()));
  }
}

const std::string& TableFileWriter::path() const { return impl_->path; }

// ---- TableFileReader ----

struct TableFileReader::Impl {
  std::string path;
  hid_t file = H5I_INVALID_HID;

  [[noreturn]] void fail(const std::string& member, const std::string& problem) const {
    throw core::UserError(
        fmt::format("{}: {} {}. HINT: the file is damaged or was not written by clipscale; "
                    "`h5dump -H {}` shows what it holds.",
                    path, member, problem, path));
  }

  bool exists(const std::string& group) const {
    std::string walked;
    for (const std::string& part : path_parts(group)) {
      walked += "/" + part;
      if (H5Lexists(file, walked.c_str(), H5P_DEFAULT) <= 0) return false;
    }
    return true;
  }

  H5Object open_group(const std::string& group) const {
    if (!exists(group)) fail("group " + group, "is missing");
    H5Object g(H5Gopen2(file, group.c_str(), H5P_DEFAULT), H5Gclose);
    if (!g.valid()) fail(group, "is not a group");
    return g;
  }

  int64_t read_rows(hid_t group, const std::string& where) const {
    if (H5Aexists(group, kRowsAttr) <= 0) fail("attribute 'n_rows' of " + where, "is missing");
    H5Object attr(H5Aopen(group, kRowsAttr, H5P_DEFAULT), H5Aclose);
    int64_t rows = -1;
    if (!attr.valid() || H5Aread(attr.id(), H5T_NATIVE_INT64, &rows) < 0 || rows < 0) {
      fail("attribute 'n_rows' of " + where, "is not a non-negative integer");
    }
    return rows;
  }

  std::vector<std::string> read_strings(hid_t set, hid_t file_type, size_t rows, const std::string& where) const {
    std::vector<std::string> out(rows);
    if (H5Tis_variable_str(file_type) > 0) {
      std::vector<char*> pointers(rows, nullptr);
      const H5Object memory = utf8_string_type();
      if (rows > 0 && H5Dread(set, memory.id(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()) < 0) {
        fail(where, "could not be read as strings");
      }
      for (size_t r = 0; r < rows; ++r) {
        out[r] = pointers[r] != nullptr ? pointers[r] : "";
        H5free_memory(pointers[r]);
      }
      return out;
    }
    const size_t width = H5Tget_size(file_type);
    std::vector<char> buffer(width * rows);
    if (rows > 0 && H5Dread(set, file_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()) < 0) {
      fail(where, "could not be read as strings");
    }
    for (size_t r = 0; r < rows; ++r) {
      std::string cell(buffer.data() + r * width, width);
      out[r] = cell.substr(0, cell.find('\0'));
    }
    return out;
  }

  Column read_column(hid_t parent, const std::string& leaf, const std::string& name, const std::string& where,
                     int64_t rows) const {
    H5Object set(H5Dopen2(parent, leaf.c_str(), H5P_DEFAULT), H5Dclose);
    if (!set.valid()) fail(where, "could not be opened");
    H5Object space(H5Dget_space(set.id()), H5Sclose);
    hsize_t dims[2] = {0, 0};
    const int rank = H5Sget_simple_extent_ndims(space.id());
    if (rank != 1) fail(where, fmt::format("has {} dimensions, expected 1", rank));
    H5Sget_simple_extent_dims(space.id(), dims, nullptr);
    if (static_cast<int64_t>(dims[0]) != rows) {
      fail(where, fmt::format("holds {} values, expected n_rows = {}", dims[0], rows));
    }
    const size_t n = dims[0];
    H5Object type(H5Dget_type(set.id()), H5Tclose);
    const H5T_class_t type_class = H5Tget_class(type.id());
    if (type_class == H5T_FLOAT) {
      std::vector<double> values(n);
      if (n > 0 && H5Dread(set.id(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0) {
        fail(where, "could not be read");
      }
      return {name, std::move(values)};
    }
    if (type_class == H5T_INTEGER) {
      std::vector<int64_t> values(n);
      if (n > 0 && H5Dread(set.id(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0) {
        fail(where, "could not be read");
      }
      return {name, std::move(values)};
    }
    if (type_class == H5T_STRING) return {name, read_strings(set.id(), type.id(), n, where)};
    fail(where, "has an HDF5 type other than float, integer or string");
  }

  // Adds every dataset below `group` (relative name `prefix`) to `table`, in creation order.
  void collect(hid_t group, const std::string& where, const std::string& prefix, int64_t rows, Table* table) const {
    for (const std::string& name : link_names(group)) {
      const std::string column = prefix.empty() ? name : prefix + "/" + name;
      const std::string member = join_path(where, name);
      const H5O_type_t type = object_type(group, name);
      if (type == H5O_TYPE_DATASET) {
        table->add(column, read_column(group, name, column, "dataset " + member, rows).values);
      } else if (type == H5O_TYPE_GROUP) {
        H5Object child(H5Gopen2(group, name.c_str(), H5P_DEFAULT), H5Gclose);
        collect(child.id(), member, column, rows, table);
      }
    }
  }
};

TableFileReader::TableFileReader(std::string path) : impl_(std::make_unique<Impl>()) {
  impl_->path = std::move(path);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  std::error_code ec;
  if (!fs::is_regular_file(impl_->path, ec)) {
    throw core::UserError(fmt::format("{}: no such file. HINT: check the path{}.", impl_->path,
                                      fs::is_directory(impl_->path, ec) ? " (it is a folder)" : ""));
  }
  if (H5Fis_hdf5(impl_->path.c_str()) <= 0) {
    throw core::UserError(
        fmt::format("{}: not an HDF5 file. HINT: pass the .h5 file clipscale wrote (a CSV goes "
                    "through the CSV reader).",
                    impl_->path));
  }
  impl_->file = H5Fopen(impl_->path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (impl_->file < 0) {
    throw core::UserError(
        fmt::format("{}: HDF5 cannot open the file. HINT: another process may hold it open for "
                    "writing; `h5dump -H {}` shows its state.",
                    impl_->path, impl_->path));
  }
}

TableFileReader::~TableFileReader() {
  if (impl_ && impl_->file >= 0) H5Fclose(impl_->file);
}

bool TableFileReader::has_group(const std::string& group) const {
  const std::string key = normalise_group(group);
  return key == "/" || (impl_->exists(key) && object_type(impl_->file, key) == H5O_TYPE_GROUP);
}

std::vector<std::string> TableFileReader::child_groups(const std::string& group) const {
  const std::string key = normalise_group(group);
  const H5Object g = impl_->open_group(key);
  std::vector<std::string> groups;
  for (const std::string& name : link_names(g.id())) {
    if (object_type(g.id(), name) == H5O_TYPE_GROUP) groups.push_back(name);
  }
  return groups;
}

Table TableFileReader::read_table(const std::string& group) const {
  const std::string key = normalise_group(group);
  const H5Object g = impl_->open_group(key);
  const int64_t rows = impl_->read_rows(g.id(), key);
  Table table;
  impl_->collect(g.id(), key, "", rows, &table);
  return table;
}

Attributes TableFileReader::attributes(const std::string& group) const {
  const std::string key = normalise_group(group);
  const H5Object g = impl_->open_group(key);
  std::vector<std::string> names;
  hsize_t index = 0;
  H5Aiterate2(g.id(), H5_INDEX_NAME, H5_ITER_INC, &index, collect_attribute, &names);
  Attributes out;
  for (const std::string& name : names) {
    const std::string member = "attribute '" + name + "' of " + key;
    H5Object attr(H5Aopen(g.id(), name.c_str(), H5P_DEFAULT), H5Aclose);
    H5Object type(H5Aget_type(attr.id()), H5Tclose);
    H5Object space(H5Aget_space(attr.id()), H5Sclose);
    if (H5Sget_simple_extent_npoints(space.id()) != 1) impl_->fail(member, "is not a single value");
    const H5T_class_t type_class = H5Tget_class(type.id());
    if (type_class == H5T_FLOAT) {
      double value = 0;
      if (H5Aread(attr.id(), H5T_NATIVE_DOUBLE, &value) < 0) impl_->fail(member, "could not be read");
      out[name] = value;
    } else if (type_class == H5T_INTEGER) {
      int64_t value = 0;
      if (H5Aread(attr.id(), H5T_NATIVE_INT64, &value) < 0) impl_->fail(member, "could not be read");
      out[name] = value;
    } else if (type_class == H5T_STRING && H5Tis_variable_str(type.id()) > 0) {
      char* text = nullptr;
      const H5Object memory = utf8_string_type();
      if (H5Aread(attr.id(), memory.id(), &text) < 0) impl_->fail(member, "could not be read");
      out[name] = std::string(text != nullptr ? text : "");
      H5free_memory(text);
    } else if (type_class == H5T_STRING) {
      std::string value(H5Tget_size(type.id()), '\0');
      if (H5Aread(attr.id(), type.id(), value.data()) < 0) impl_->fail(member, "could not be read");
      out[name] = value.substr(0, value.find('\0'));
    } else {
      impl_->fail(member, "has an HDF5 type other than float, integer or string");
    }
  }
  return out;
}

const std::string& TableFileReader::path() const { return impl_->path; }

// ---- attribute access ----

std::string utc_timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  gmtime_r(&now, &parts);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

std::string attribute_string(const Attributes& attributes, const std::string& name, const std::string& origin,
                             const std::string& fallback) {
  const auto it = attributes.find(name);
  if (it == attributes.end()) return fallback;
  if (const auto* text = std::get_if<std::string>(&it->second)) return *text;
  throw core::UserError(
      fmt::format("{}: attribute '{}' is a number, expected a string. HINT: the file was not "
                  "written by this version of clipscale.",
                  origin, name));
}

double attribute_number(const Attributes& attributes, const std::string& name, const std::string& origin,
                        double fallback) {
  const auto it = attributes.find(name);
  if (it == attributes.end()) return fallback;
  if (const auto* d = std::get_if<double>(&it->second)) return *d;
  if (const auto* i = std::get_if<int64_t>(&it->second)) return static_cast<double>(*i);
  throw core::UserError(
      fmt::format("{}: attribute '{}' is a string, expected a number. HINT: the file was not "
                  "written by this version of clipscale.",
                  origin, name));
}

}  // namespace clipscale::io
