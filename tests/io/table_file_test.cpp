#include "io/table_file.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/atomic_file.h"
#include "support/process.h"
#include "support/scratch_dir.h"

namespace clipscale::io {
namespace {

using clipscale::testing::ScratchDir;

Table sample_table() {
  Table t;
  t.add_string("run_id", {"a", "b,with comma", "c \"quoted\""});
  t.add_int64("seed", {1, -2, 3});
  t.add_float64("compute", {1.5e18, 0.1, std::numeric_limits<double>::quiet_NaN()});
  t.add_float64("zeroshot/top1", {0.25, 0.5, 0.75});
  t.add_float64("zeroshot/top5", {0.5, 0.75, 1.0});
  t.add_float64("a_last", {1, 2, 3});
  return t;
}

void expect_same(const Table& got, const Table& want) {
  ASSERT_EQ(got.rows(), want.rows());
  ASSERT_EQ(got.columns().size(), want.columns().size());
  for (size_t c = 0; c < want.columns().size(); ++c) {
    SCOPED_TRACE(want.columns()[c].name);
    EXPECT_EQ(got.columns()[c].name, want.columns()[c].name) << "columns keep their order";
    EXPECT_EQ(column_type_name(got.columns()[c].values), column_type_name(want.columns()[c].values));
    for (size_t r = 0; r < want.rows(); ++r) EXPECT_EQ(got.cell_text(c, r), want.cell_text(c, r));
  }
}

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

TEST(TableFile, RoundTripsColumnsInOrderWithAttributes) {
  ScratchDir dir;
  const std::string path = dir.file("t.h5");
  {
    TableFileWriter w(path);
    w.set_attributes("/", {{"kind", std::string("test")}, {"version", int64_t{3}}, {"scale", 0.5}});
    w.write_table("/runs", sample_table());
    w.write_table("/fits/0/params", Table{});
    w.set_attributes("/fits/0", {{"law", std::string("power")}});
    w.commit();
  }
  const TableFileReader r(path);
  expect_same(r.read_table("/runs"), sample_table());
  EXPECT_EQ(r.read_table("fits/0/params").rows(), 0u);
  const Attributes root = r.attributes("/");
  EXPECT_EQ(attribute_string(root, "kind", path), "test");
  EXPECT_EQ(attribute_number(root, "version", path, -1), 3.0);
  EXPECT_EQ(attribute_number(root, "scale", path, -1), 0.5);
  EXPECT_EQ(attribute_number(root, "absent", path, -1), -1.0);
  EXPECT_THROW(attribute_number(root, "kind", path, -1), core::UserError);
  EXPECT_EQ(r.child_groups("/"), (std::vector<std::string>{"runs", "fits"})) << "creation order";
  EXPECT_EQ(attribute_string(r.attributes("/fits/0"), "law", path), "power");
  EXPECT_TRUE(r.has_group("/fits/0"));
  EXPECT_FALSE(r.has_group("/fits/1"));
}

TEST(TableFile, NothingAppearsUntilCommit) {
  ScratchDir dir;
  const std::string path = dir.file("t.h5");
  {
    TableFileWriter w(path);
    w.write_table("/runs", sample_table());
    EXPECT_FALSE(std::filesystem::exists(path));
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_TRUE(std::filesystem::is_empty(dir.path())) << "the temporary file is removed";
}

TEST(TableFile, ReaderErrorsNameTheFileAndMember) {
  ScratchDir dir;
  EXPECT_THROW(TableFileReader(dir.file("missing.h5")), core::UserError);
  write_file_atomic(dir.file("text.h5"), "not hdf5");
  try {
    TableFileReader reader(dir.file("text.h5"));
    FAIL() << "expected a UserError";
  } catch (const core::UserError& e) {
    EXPECT_NE(std::string(e.what()).find("not an HDF5 file"), std::string::npos) << e.what();
  }
  const std::string path = dir.file("t.h5");
  {
    TableFileWriter w(path);
    w.write_table("/runs", sample_table());
    w.commit();
  }
  const TableFileReader r(path);
  try {
    r.read_table("/other");
    FAIL() << "expected a UserError";
  } catch (const core::UserError& e) {
    EXPECT_NE(std::string(e.what()).find("group /other is missing"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("HINT:"), std::string::npos) << e.what();
  }
}

TEST(TableFile, H5pyReadsNestedColumns) {
  if (!clipscale::testing::system_python_has("h5py, numpy")) GTEST_SKIP() << "no h5py in /usr/bin/python3";
  ScratchDir dir;
  const std::string path = dir.file("t.h5");
  {
    TableFileWriter w(path);
    w.write_table("/runs", sample_table());
    w.commit();
  }
  const auto result = clipscale::testing::run_system_python(dir.file("check.py"), R"(
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
g = f["runs"]
assert int(g.attrs["n_rows"]) == 3
assert [x.decode() if isinstance(x, bytes) else x for x in g["run_id"][:]] == ["a", "b,with comma", 'c "quoted"']
assert g["seed"].dtype == np.int64 and list(g["seed"][:]) == [1, -2, 3]
assert np.isnan(g["compute"][2]) and g["compute"][0] == 1.5e18
assert list(f["runs/zeroshot/top1"][:]) == [0.25, 0.5, 0.75]
print("ok")
)",
                                                               {path});
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

}  // namespace
}  // namespace clipscale::io
