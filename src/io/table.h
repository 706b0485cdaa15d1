// Column tables in memory: named, typed columns of equal length. They travel in CSV files
// (csv_file.h) and in HDF5 table files (table_file.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
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
  /// One cell as text, formatted as strings() does: float64 as the shortest text that reads back
  /// exactly, integral values with ".0" (so a CSV float64 column reads back as float64), NaN as "".
  std::string cell_text(size_t column, size_t row) const;

 private:
  std::vector<Column> columns_;
  size_t rows_ = 0;
};

}  // namespace clipscale::io
