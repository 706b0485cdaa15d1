#include "io/csv_file.h"

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <limits>
#include <set>
#include <system_error>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "core/error.h"
#include "io/atomic_file.h"

namespace clipscale::io {
namespace {

bool parse_int64(std::string_view cell, int64_t* out) {
  if (cell.empty()) return false;
  const char* end = cell.data() + cell.size();
  const auto [ptr, ec] = std::from_chars(cell.data(), end, *out);
  return ec == std::errc() && ptr == end;
}

bool parse_double(const std::string& cell, double* out) {
  if (cell.empty()) {
    *out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  errno = 0;
  char* end = nullptr;
  *out = std::strtod(cell.c_str(), &end);
  return end == cell.c_str() + cell.size() && errno != ERANGE;
}

// Splits CSV text into rows of cells (RFC 4180: "" is a quote inside a quoted cell; quoted cells
// may hold commas and line breaks). Line numbers of each row's start go to `lines`.
std::vector<std::vector<std::string>> split_csv(std::string_view text, const std::string& origin,
                                                std::vector<int>* lines) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string cell;
  bool quoted = false;
  bool row_has_content = false;
  int line = 1;
  int row_line = 1;
  int quote_line = 0;
  auto end_row = [&] {
    if (row_has_content || !row.empty()) {
      row.push_back(std::move(cell));
      rows.push_back(std::move(row));
      lines->push_back(row_line);
    }
    row.clear();
    cell.clear();
    row_has_content = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        cell += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++line;
        cell += c;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
      quote_line = line;
      row_has_content = true;
    } else if (c == ',') {
      row.push_back(std::move(cell));
      cell.clear();
      row_has_content = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      end_row();
      ++line;
      row_line = line;
    } else {
      cell += c;
      row_has_content = true;
    }
  }
  if (quoted) {
    throw core::UserError(
        fmt::format("{}:{}: a quoted cell is never closed. HINT: every '\"' that opens a cell "
                    "needs a closing '\"'; a quote inside a cell is written '\"\"'.",
                    origin, quote_line));
  }
  end_row();
  return rows;
}

ColumnValues infer_column(const std::vector<std::string>& cells) {
  bool all_int = !cells.empty();
  for (const std::string& c : cells) {
    int64_t v = 0;
    if (!parse_int64(c, &v)) {
      all_int = false;
      break;
    }
  }
  if (all_int) {
    std::vector<int64_t> values(cells.size());
    for (size_t i = 0; i < cells.size(); ++i) parse_int64(cells[i], &values[i]);
    return values;
  }
  std::vector<double> numbers(cells.size());
  for (size_t i = 0; i < cells.size(); ++i) {
    if (!parse_double(cells[i], &numbers[i])) return cells;
  }
  return numbers;
}

std::string quote_csv(const std::string& cell) {
  if (cell.find_first_of(",\"\n\r") == std::string::npos) return cell;
  std::string out = "\"";
  for (const char c : cell) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

Table parse_csv(std::string_view text, const std::string& origin) {
  std::vector<int> lines;
  const auto rows = split_csv(text, origin, &lines);
  if (rows.empty()) {
    throw core::UserError(
        fmt::format("{}: the CSV holds no header row. HINT: the first line names the columns, "
                    "e.g. 'compute,error'.",
                    origin));
  }
  const std::vector<std::string>& header = rows.front();
  std::set<std::string> seen;
  for (size_t c = 0; c < header.size(); ++c) {
    if (header[c].empty()) {
      throw core::UserError(fmt::format("{}:{}: column {} of the header has no name. HINT: name every column.", origin,
                                        lines.front(), c + 1));
    }
    if (!seen.insert(header[c]).second) {
      throw core::UserError(
          fmt::format("{}:{}: column name '{}' appears twice in the header. HINT: column names "
                      "must be unique.",
                      origin, lines.front(), header[c]));
    }
  }
  std::vector<std::vector<std::string>> cells(header.size());
  for (size_t r = 1; r < rows.size(); ++r) {
    if (rows[r].size() != header.size()) {
      throw core::UserError(
          fmt::format("{}:{}: the row has {} cells, the header has {}. HINT: quote cells that "
                      "hold commas.",
                      origin, lines[r], rows[r].size(), header.size()));
    }
    for (size_t c = 0; c < header.size(); ++c) cells[c].push_back(rows[r][c]);
  }
  Table table;
  for (size_t c = 0; c < header.size(); ++c) table.add(header[c], infer_column(cells[c]));
  return table;
}

Table read_csv(const std::string& path) { return parse_csv(read_file(path), path); }

std::string format_csv(const Table& table) {
  std::string out;
  for (size_t c = 0; c < table.columns().size(); ++c) {
    if (c > 0) out += ',';
    out += quote_csv(table.columns()[c].name);
  }
  out += '\n';
  for (size_t r = 0; r < table.rows(); ++r) {
    for (size_t c = 0; c < table.columns().size(); ++c) {
      if (c > 0) out += ',';
      out += quote_csv(table.cell_text(c, r));
    }
    out += '\n';
  }
  return out;
}

void write_csv(const std::string& path, const Table& table) { write_file_atomic(path, format_csv(table)); }

}  // namespace clipscale::io
