// HDF5 table files: groups holding column tables (table.h), plus scalar attributes on any group.
//
// Layout of one table stored at group G (e.g. "/runs"):
//   G                   attributes: n_rows (int64), plus whatever the caller sets
//   G/<column>          1-D dataset of n_rows values: float64, int64, or variable-length
//                       UTF-8 strings; a name holding '/' ("eval/top1") nests a group
//                       ("G/eval/top1"), so h5py reads it as f["G/eval/top1"]
// Groups track creation order, and the reader returns columns in the order they were written.
// Files are written under a temporary name and renamed into place by commit(), so a reader
// never sees a half-written file.
//
// The sweep file (sweep_file.h) and the analysis module's fits.h5 are table files. CSV reading
// and writing live in csv_file.h, included here for the callers that reach them through this
// header.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "io/csv_file.h"
#include "io/table.h"

namespace clipscale::io {

/// A scalar attribute value.
using AttributeValue = std::variant<std::string, double, int64_t>;
using Attributes = std::map<std::string, AttributeValue>;

/// Writes one HDF5 table file. Everything goes to "<dir>/.<name>.tmp.<pid>" until commit()
/// renames it over `path`; a writer destroyed without commit() removes the temporary file.
/// Misuse (a group written twice, a column name clashing with a nested group) fails a
/// CLIPSCALE_CHECK; failures to create or rename the file throw core::UserError.
class TableFileWriter {
 public:
  /// Creates the temporary file (and the parent directories of `path`).
  explicit TableFileWriter(std::string path);
  ~TableFileWriter();
  TableFileWriter(const TableFileWriter&) = delete;
  TableFileWriter& operator=(const TableFileWriter&) = delete;

  /// Writes `table` into the new group `group` ("/runs", "/fits/0/params"); parent groups are
  /// created as needed.
  void write_table(const std::string& group, const Table& table);
  /// Sets scalar attributes on `group` ("/" for the root), creating the group when absent. An
  /// attribute set again takes the new value.
  void set_attributes(const std::string& group, const Attributes& attributes);
  /// Closes the file and renames it to `path`. No other call is allowed afterwards.
  void commit();

  const std::string& path() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Reads an HDF5 table file. Every failure throws core::UserError naming the file and the
/// member, expected vs found, with a HINT.
class TableFileReader {
 public:
  explicit TableFileReader(std::string path);
  ~TableFileReader();
  TableFileReader(const TableFileReader&) = delete;
  TableFileReader& operator=(const TableFileReader&) = delete;

  /// True when `group` exists.
  bool has_group(const std::string& group) const;
  /// Names of the groups directly below `group`, in creation order.
  std::vector<std::string> child_groups(const std::string& group) const;
  /// The table stored at `group` (see the layout above).
  Table read_table(const std::string& group) const;
  /// Every scalar attribute of `group` (string, float64 or int64; other types are an error).
  Attributes attributes(const std::string& group) const;

  const std::string& path() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The current UTC time in ISO 8601 ("2026-01-02T03:04:05Z"), for created_utc attributes.
std::string utc_timestamp();

/// attributes[name] as text / number, or `fallback` when absent; a present value of the other
/// kind throws core::UserError naming `origin` (the file and group).
std::string attribute_string(const Attributes& attributes, const std::string& name, const std::string& origin,
                             const std::string& fallback = "");
double attribute_number(const Attributes& attributes, const std::string& name, const std::string& origin,
                        double fallback);

}  // namespace clipscale::io
