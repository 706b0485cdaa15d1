#include "io/csv_file.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/table_samples.h"

namespace clipscale::io {
namespace {

using clipscale::testing::expect_same;
using clipscale::testing::sample_table;

TEST(CsvTable, InfersIntegerNumberAndStringColumns) {
  const Table t = parse_csv("a,b,c,d\n1,1.5,x,\n-2,3,y,7\n", "mem.csv");
  ASSERT_EQ(t.rows(), 2u);
  EXPECT_EQ(column_type_name(t.find("a")->values), "int64");
  EXPECT_EQ(column_type_name(t.find("b")->values), "float64");
  EXPECT_EQ(column_type_name(t.find("c")->values), "string");
  EXPECT_EQ(column_type_name(t.find("d")->values), "float64") << "an empty cell in a number column is NaN";
  EXPECT_TRUE(std::isnan(t.numbers("d")[0]));
  EXPECT_EQ(t.numbers("d")[1], 7.0);
  EXPECT_EQ(t.numbers("a")[1], -2.0);
}

TEST(CsvTable, RoundTripsQuotedCellsAndFullPrecision) {
  const Table t = sample_table();
  const std::string text = format_csv(t);
  EXPECT_NE(text.find("\"b,with comma\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"c \"\"quoted\"\"\""), std::string::npos) << text;
  expect_same(parse_csv(text, "mem.csv"), t);
  const Table crlf = parse_csv("x,y\r\n1,0.30000000000000004\r\n", "crlf.csv");
  EXPECT_EQ(crlf.numbers("y")[0], 0.30000000000000004);
}

TEST(CsvTable, BadInputIsAUserErrorWithLineAndHint) {
  const auto message = [](const std::string& text) {
    try {
      parse_csv(text, "bad.csv");
    } catch (const core::UserError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("a,b\n1,2\n3\n").find("bad.csv:3: the row has 1 cells, the header has 2"), std::string::npos);
  EXPECT_NE(message("a,a\n1,2\n").find("'a' appears twice"), std::string::npos);
  EXPECT_NE(message("a,b\n\"1,2\n").find("bad.csv:2: a quoted cell is never closed"), std::string::npos);
  EXPECT_NE(message("").find("no header row"), std::string::npos);
  EXPECT_NE(message("a,b\n1,2\n3\n").find("HINT:"), std::string::npos);
  EXPECT_THROW(read_csv("/nonexistent/x.csv"), core::UserError);
}

}  // namespace
}  // namespace clipscale::io
