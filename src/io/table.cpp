#include "io/table.h"

#include <cmath>

#include <fmt/format.h>

#include "core/error.h"

namespace clipscale::io {
namespace {

// Shortest text that reads back to the same double; integral values keep a ".0" so that a CSV
// float64 column is read back as float64.
std::string format_number(double value) {
  if (std::isnan(value)) return "";
  std::string text = fmt::format("{}", value);
  if (text.find_first_of(".eEni") == std::string::npos) text += ".0";
  return text;
}

}  // namespace

std::string column_type_name(const ColumnValues& values) {
  switch (values.index()) {
    case 0: return "float64";
    case 1: return "int64";
    default: return "string";
  }
}

size_t column_size(const ColumnValues& values) {
  return std::visit([](const auto& v) { return v.size(); }, values);
}

void Table::add(std::string name, ColumnValues values) {
  CLIPSCALE_CHECK(!name.empty()) << "a table column needs a name";
  CLIPSCALE_CHECK(find(name) == nullptr) << "table column '" << name << "' added twice";
  const size_t n = column_size(values);
  if (!columns_.empty()) {
    CLIPSCALE_CHECK_EQ(n, rows_) << "column '" << name << "' has another length";
  }
  rows_ = n;
  columns_.push_back({std::move(name), std::move(values)});
}

const Column* Table::find(std::string_view name) const {
  for (const Column& c : columns_) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::vector<double> Table::numbers(std::string_view name) const {
  const Column* column = find(name);
  CLIPSCALE_CHECK(column != nullptr) << "no column '" << name << "'";
  if (const auto* d = std::get_if<std::vector<double>>(&column->values)) return *d;
  const auto* i = std::get_if<std::vector<int64_t>>(&column->values);
  CLIPSCALE_CHECK(i != nullptr) << "column '" << name << "' holds strings";
  return std::vector<double>(i->begin(), i->end());
}

std::string Table::cell_text(size_t column, size_t row) const {
  const ColumnValues& values = columns_.at(column).values;
  if (const auto* d = std::get_if<std::vector<double>>(&values)) return format_number(d->at(row));
  if (const auto* i = std::get_if<std::vector<int64_t>>(&values)) return std::to_string(i->at(row));
  return std::get<std::vector<std::string>>(values).at(row);
}

std::vector<std::string> Table::strings(std::string_view name) const {
  const Column* column = find(name);
  CLIPSCALE_CHECK(column != nullptr) << "no column '" << name << "'";
  const size_t index = static_cast<size_t>(column - columns_.data());
  std::vector<std::string> out(rows_);
  for (size_t r = 0; r < rows_; ++r) out[r] = cell_text(index, r);
  return out;
}

}  // namespace clipscale::io
