// CSV files of column tables (RFC 4180): a header row of column names, then one line per row.
// Written with every float64 as the shortest text that reads back exactly (integral values with
// ".0", NaN as an empty cell); read with the column types inferred (int64 when every cell is an
// integer, float64 when every cell is a number or empty, else string). The sweep file's CSV twin
// is written through this, and published result tables are read through it.
#pragma once

#include <string>
#include <string_view>

#include "io/table.h"

namespace clipscale::io {

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

}  // namespace clipscale::io
