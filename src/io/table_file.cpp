#include "io/table_file.h"

#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <set>
#include <system_error>
#include <utility>

#include <fmt/format.h>

#include "core/error.h"
#include "io/hdf5_toolkit.h"

namespace clipscale::io {
namespace {

namespace fs = std::filesystem;
using hdf5::Handle;
using hdf5::Site;

constexpr const char* kRowsAttr = "n_rows";

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

}  // namespace

// ---- TableFileWriter ----

struct TableFileWriter::Impl {
  explicit Impl(std::string final_path) : path(std::move(final_path)), site("", path, Site::Mode::kWrite) {}

  // Opens `group`, creating it and its parents (all tracking creation order) when missing.
  Handle open_or_create_group(const std::string& group) const {
    Handle current = site.handle(H5Gopen2(file.get(), "/", H5P_DEFAULT), H5Gclose, "opening the root group");
    std::string walked = "/";
    for (const std::string& part : path_parts(group)) {
      const std::string here = hdf5::child_path(walked, part);
      if (hdf5::link_exists(current.get(), part, here, site)) {
        CLIPSCALE_CHECK(hdf5::object_type(current.get(), part) == H5O_TYPE_GROUP)
            << "table file '" << path << "': " << here << " is a dataset, not a group (a column name and a "
            << "nested column name clash)";
        current = hdf5::open_group(current.get(), walked, part, site);
      } else {
        const Handle gcpl = hdf5::creation_order_plist(H5P_GROUP_CREATE, site);
        current = hdf5::create_group(current.get(), walked, part, site, gcpl.get());
      }
      walked = here;
    }
    return current;
  }

  void write_column(const std::string& group, const Column& column) const {
    const std::string full = hdf5::child_path(group, column.name);
    const size_t slash = full.rfind('/');
    const std::string parent_path = normalise_group(full.substr(0, slash));
    const Handle parent = open_or_create_group(parent_path);
    const std::string leaf = full.substr(slash + 1);
    CLIPSCALE_CHECK(!hdf5::link_exists(parent.get(), leaf, full, site))
        << "table file '" << path << "': " << full << " exists already (column names clash)";
    const std::vector<hsize_t> dims = {column_size(column.values)};
    if (const auto* d = std::get_if<std::vector<double>>(&column.values)) {
      hdf5::write_dataset(parent.get(), parent_path, leaf, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, dims, d->data(), site);
    } else if (const auto* i = std::get_if<std::vector<int64_t>>(&column.values)) {
      hdf5::write_dataset(parent.get(), parent_path, leaf, H5T_STD_I64LE, H5T_NATIVE_INT64, dims, i->data(), site);
    } else {
      hdf5::write_string_dataset(parent.get(), parent_path, leaf, std::get<std::vector<std::string>>(column.values),
                                 site);
    }
  }

  std::string path;
  std::string tmp_path;
  Site site;  // messages name the final path: the temporary one means nothing to the user
  Handle file;
  std::set<std::string> tables;  // groups written by write_table
};

TableFileWriter::TableFileWriter(std::string path) : impl_(std::make_unique<Impl>(std::move(path))) {
  const hdf5::QuietErrors quiet;
  const fs::path target(impl_->path);
  std::error_code ec;
  if (!target.parent_path().empty()) fs::create_directories(target.parent_path(), ec);
  impl_->tmp_path =
      (target.parent_path() / ("." + target.filename().string() + ".tmp." + std::to_string(::getpid()))).string();
  const Handle fcpl = hdf5::creation_order_plist(H5P_FILE_CREATE, impl_->site);
  impl_->file = hdf5::create_file(impl_->tmp_path, H5F_ACC_TRUNC, fcpl.get(), H5P_DEFAULT);
  if (!impl_->file.valid()) {
    throw core::UserError(
        fmt::format("{}: cannot create the HDF5 file (temporary name {}). HINT: check that the "
                    "folder exists and is writable.",
                    impl_->path, impl_->tmp_path));
  }
}

TableFileWriter::~TableFileWriter() {
  if (impl_ && impl_->file.valid()) {
    const hdf5::QuietErrors quiet;
    impl_->file.close();
    std::error_code ec;
    fs::remove(impl_->tmp_path, ec);
  }
}

void TableFileWriter::write_table(const std::string& group, const Table& table) {
  CLIPSCALE_CHECK(impl_->file.valid()) << "table file '" << impl_->path << "' was committed already";
  const hdf5::QuietErrors quiet;
  const std::string key = normalise_group(group);
  CLIPSCALE_CHECK(impl_->tables.insert(key).second) << "table " << key << " written twice to " << impl_->path;
  {
    const Handle g = impl_->open_or_create_group(key);
    hdf5::write_attr(g.get(), key, kRowsAttr, static_cast<int64_t>(table.rows()), impl_->site);
  }
  for (const Column& column : table.columns()) impl_->write_column(key, column);
}

void TableFileWriter::set_attributes(const std::string& group, const Attributes& attributes) {
  CLIPSCALE_CHECK(impl_->file.valid()) << "table file '" << impl_->path << "' was committed already";
  const hdf5::QuietErrors quiet;
  const std::string key = normalise_group(group);
  const Handle g = impl_->open_or_create_group(key);
  for (const auto& [name, value] : attributes) hdf5::write_attr(g.get(), key, name, value, impl_->site);
}

void TableFileWriter::commit() {
  CLIPSCALE_CHECK(impl_->file.valid()) << "table file '" << impl_->path << "' was committed already";
  const hdf5::QuietErrors quiet;
  const herr_t closed = impl_->file.close();
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
  explicit Impl(std::string file_path) : path(std::move(file_path)), site("", path, Site::Mode::kRead) {}

  bool exists(const std::string& group) const {
    std::string walked;
    for (const std::string& part : path_parts(group)) {
      walked += "/" + part;
      if (H5Lexists(file.get(), walked.c_str(), H5P_DEFAULT) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return false;
      }
    }
    return true;
  }

  Handle open_group(const std::string& group) const {
    if (!exists(group)) site.bad_member("group " + group, "is missing");
    Handle g(H5Gopen2(file.get(), group.c_str(), H5P_DEFAULT), H5Gclose);
    if (!g.valid()) site.bad_member(group, "is not a group");
    return g;
  }

  int64_t read_rows(hid_t group, const std::string& where) const {
    const hdf5::Attr rows_attr = hdf5::open_attr(group, where, kRowsAttr, site);
    const int64_t rows = hdf5::read_int64(rows_attr, site);
    if (rows < 0) site.bad_member(rows_attr.member, fmt::format("is {}, expected a non-negative integer", rows));
    return rows;
  }

  Column read_column(hid_t parent, const std::string& leaf, const std::string& name, const std::string& where,
                     int64_t rows) const {
    const Handle set = site.handle(H5Dopen2(parent, leaf.c_str(), H5P_DEFAULT), H5Dclose, "opening " + where);
    const hsize_t n = hdf5::dataset_rows(set.get(), where, site);
    if (static_cast<int64_t>(n) != rows)
      site.bad_member(where, fmt::format("holds {} values, expected n_rows = {}", n, rows));
    const Handle type = site.handle(H5Dget_type(set.get()), H5Tclose, "reading the type of " + where);
    switch (H5Tget_class(type.get())) {
      case H5T_FLOAT: return {name, hdf5::read_values<double>(set.get(), where, H5T_NATIVE_DOUBLE, false, site)};
      case H5T_INTEGER: return {name, hdf5::read_values<int64_t>(set.get(), where, H5T_NATIVE_INT64, false, site)};
      case H5T_STRING: return {name, hdf5::read_strings(set.get(), where, site)};
      default: site.bad_member(where, "has an HDF5 type other than float, integer or string");
    }
  }

  // Adds every dataset below `group` (relative name `prefix`) to `table`, in creation order.
  void collect(hid_t group, const std::string& where, const std::string& prefix, int64_t rows, Table* table) const {
    for (const std::string& name : hdf5::link_names(group, where, site)) {
      const std::string column = prefix.empty() ? name : prefix + "/" + name;
      const std::string member = hdf5::child_path(where, name);
      const H5O_type_t type = hdf5::object_type(group, name);
      if (type == H5O_TYPE_DATASET) {
        table->add(column, read_column(group, name, column, "dataset " + member, rows).values);
      } else if (type == H5O_TYPE_GROUP) {
        const Handle child = hdf5::open_group(group, where, name, site);
        collect(child.get(), member, column, rows, table);
      }
    }
  }

  std::string path;
  Site site;
  Handle file;
};

TableFileReader::TableFileReader(std::string path) : impl_(std::make_unique<Impl>(std::move(path))) {
  const hdf5::QuietErrors quiet;
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
  impl_->file = hdf5::open_file(impl_->path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (!impl_->file.valid()) {
    throw core::UserError(
        fmt::format("{}: HDF5 cannot open the file ({}). HINT: another process may hold it open "
                    "for writing; `h5dump -H {}` shows its state.",
                    impl_->path, hdf5::take_error(), impl_->path));
  }
}

TableFileReader::~TableFileReader() {
  if (impl_ && impl_->file.valid()) {
    const hdf5::QuietErrors quiet;
    impl_->file.close();
  }
}

bool TableFileReader::has_group(const std::string& group) const {
  const hdf5::QuietErrors quiet;
  const std::string key = normalise_group(group);
  return key == "/" || (impl_->exists(key) && hdf5::object_type(impl_->file.get(), key) == H5O_TYPE_GROUP);
}

std::vector<std::string> TableFileReader::child_groups(const std::string& group) const {
  const hdf5::QuietErrors quiet;
  const std::string key = normalise_group(group);
  const Handle g = impl_->open_group(key);
  std::vector<std::string> groups;
  for (const std::string& name : hdf5::link_names(g.get(), key, impl_->site)) {
    if (hdf5::object_type(g.get(), name) == H5O_TYPE_GROUP) groups.push_back(name);
  }
  return groups;
}

Table TableFileReader::read_table(const std::string& group) const {
  const hdf5::QuietErrors quiet;
  const std::string key = normalise_group(group);
  const Handle g = impl_->open_group(key);
  const int64_t rows = impl_->read_rows(g.get(), key);
  Table table;
  impl_->collect(g.get(), key, "", rows, &table);
  return table;
}

Attributes TableFileReader::attributes(const std::string& group) const {
  const hdf5::QuietErrors quiet;
  const std::string key = normalise_group(group);
  const Handle g = impl_->open_group(key);
  Attributes out;
  for (const std::string& name : hdf5::attr_names(g.get(), key, impl_->site)) {
    out[name] = hdf5::read_value(hdf5::open_attr(g.get(), key, name, impl_->site), impl_->site);
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
