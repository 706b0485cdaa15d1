#include "io/table_file.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/table_samples.h"
#include "support/process.h"
#include "support/scratch_dir.h"

namespace clipscale::io {
namespace {

using clipscale::testing::expect_same;
using clipscale::testing::sample_table;
using clipscale::testing::ScratchDir;

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
