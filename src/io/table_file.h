// Column tables: named, typed columns of equal length, and the two files they travel in.
//
//  * CSV (RFC 4180): a header row of column names, then one line per row. Written with every
//    float64 as the shortest text that reads back exactly (integral values with ".0", NaN as an
//    empty cell); read with the column types inferred (int64 when every cell is an integer,
//    float64 when every cell is a number or empty, else string). Published result tables (../shared/anchors/) are read through this.
//  * HDF5 table file: groups holding tables, plus scalar attributes on any group.
//
//    Layout of one table stored at group G (e.g. "/runs"):
//      G                   attributes: n_rows (int64), plus whatever the caller sets
//      G/<column>          1-D dataset of n_rows values: float64, int64, or variable-length
//                          UTF-8 strings; a name holding '/' ("eval/top1") nests a group
//                          ("G/eval/top1"), so h5py reads it as f["G/eval/top1"]
//    Groups track creation order, and the reader returns columns in the order they were
//    written. Files are written under a temporary name and renamed into place by commit(), so a
//    reader never sees a half-written file.
//
// The sweep file (sweep_file.h) and the analysis module's fits.h5 are table files.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace clipscale::io {

/// The values of one column.
using ColumnValues = std::variant<std::vector<double>, std::vector<int64_t>, std::vector<std::string>>;

struct Column {
  std::string name;
  ColumnValues values;
};

/// "float64", "int64" or "string".
std::string column_type_name(const ColumnValues& values);
/// Number of values in the column.
size_t column_size(const ColumnValues& values);

/// A table of named columns, all of one length; column names are unique and non-empty.
class Table {
 public:
  /// Appends a column. Fails a CLIPSCALE_CHECK when the name is empty or taken, or when its
  /// length differs from the columns already there.
  void add(std::string name, ColumnValues values);
  void add_float64(std::string name, std::vector<double> values) { add(std::move(name), std::move(values)); }
  void add_int64(std::string name, std::vector<int64_t> values) { add(std::move(name), std::move(values)); }
  void add_string(std::string name, std::vector<std::string> values) { add(std::move(name), std::move(values)); }

  size_t rows() const { return rows_; }
  const std::vector<Column>& columns() const { return columns_; }
  bool has(std::string_view name) const { return find(name) != nullptr; }
  /// The column named `name`, or nullptr.
  const Column* find(std::string_view name) const;

  /// Column `name` as numbers (int64 columns converted); nullptr-free: fails a CLIPSCALE_CHECK
  /// when absent or a string column. Use find() first where absence is the user's mistake.
  std::vector<double> numbers(std::string_view name) const;
  /// Column `name` as text (float64 as the CSV writes it, NaN as ""); CLIPSCALE_CHECK when absent.
  std::vector<std::string> strings(std::string_view name) const;
  /// One cell as text, formatted as strings() does.
  std::string cell_text(size_t column, size_t row) const;

 private:
  std::vector<Column> columns_;
  size_t rows_ = 0;
};

/// Parses CSV text. `origin` names the source in error messages. Throws core::UserError
/// (origin, line, expected vs found, HINT) on an empty input, a duplicate or empty column name,
/// a row with the wrong number of cells, or an unterminated quote.
Table parse_csv(std::string_view text, const std::string& origin);
/// parse_csv of the file's content; core::UserError when it can't be read.
Table read_csv(const std::string& path);
/// The table as CSV text; cells holding a comma, quote or line break are quoted.
std::string format_csv(const Table& table);
/// Writes format_csv(table) to `path` atomically (io::write_file_atomic).
void write_csv(const std::string& path, const Table& table);

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
  /// Sets scalar attributes on `group` ("/" for the root), creating the group when absent.
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
