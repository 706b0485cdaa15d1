#include "io/hdf5_toolkit.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "io/array_file.h"
#include "io/atomic_file.h"
#include "io/run_file.h"
#include "io/table_file.h"
#include "support/scratch_dir.h"

namespace clipscale::io {
namespace {

using hdf5::Handle;
using hdf5::Site;

// An HDF5 error handler that counts its calls in *data.
herr_t count_calls(hid_t /*stack*/, void* data) {
  ++*static_cast<int*>(data);
  return 0;
}

// Puts back the error handler a test found, whatever the test installs meanwhile.
class KeepErrorHandler {
 public:
  KeepErrorHandler() { H5Eget_auto2(H5E_DEFAULT, &func_, &data_); }
  ~KeepErrorHandler() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }
  KeepErrorHandler(const KeepErrorHandler&) = delete;
  KeepErrorHandler& operator=(const KeepErrorHandler&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

void fail_an_hdf5_call() { EXPECT_LT(H5Fopen("/nonexistent/x.h5", H5F_ACC_RDONLY, H5P_DEFAULT), 0); }

void expect_handler(H5E_auto2_t func, void* data) {
  H5E_auto2_t got_func = nullptr;
  void* got_data = nullptr;
  ASSERT_GE(H5Eget_auto2(H5E_DEFAULT, &got_func, &got_data), 0);
  EXPECT_EQ(got_func, func);
  EXPECT_EQ(got_data, data);
}

template <typename F>
std::string user_error_of(F&& f) {
  try {
    f();
  } catch (const core::UserError& e) {
    return e.what();
  }
  return "no UserError";
}

TEST(Hdf5QuietErrors, SilencesTheHandlerAndRestoresTheOneBefore) {
  const KeepErrorHandler keep;
  int calls = 0;
  H5Eset_auto2(H5E_DEFAULT, count_calls, &calls);
  fail_an_hdf5_call();
  ASSERT_EQ(calls, 1) << "the handler sees a failed call";
  {
    const hdf5::QuietErrors quiet;
    fail_an_hdf5_call();
    {
      const hdf5::QuietErrors nested;
      fail_an_hdf5_call();
    }
    fail_an_hdf5_call();
    EXPECT_EQ(calls, 1) << "silenced, also after a nested guard ended";
  }
  expect_handler(count_calls, &calls);
  fail_an_hdf5_call();
  EXPECT_EQ(calls, 2) << "the handler works again";
}

TEST(Hdf5QuietErrors, FileFormatsLeaveTheHandlerAsTheyFoundIt) {
  const clipscale::testing::ScratchDir dir;
  const KeepErrorHandler keep;
  int calls = 0;
  H5Eset_auto2(H5E_DEFAULT, count_calls, &calls);

  write_file_atomic(dir.file("text.h5"), "not HDF5");
  EXPECT_THROW(read_run_file(dir.file("text.h5")), core::UserError);
  EXPECT_THROW(TableFileReader(dir.file("text.h5")), core::UserError);
  {
    RunWriter writer(dir.file("run.h5"), RunHeader{}, {{"t", {"m"}}});
    writer.finish(kRunStatusDone, {{"t", {{"m", 1.0}}}});
  }
  EXPECT_EQ(read_run_file(dir.file("run.h5")).status, kRunStatusDone);
  {
    TableFileWriter writer(dir.file("table.h5"));
    writer.set_attributes("/", {{"kind", std::string("k")}});
    writer.commit();
  }
  const TableFileReader reader(dir.file("table.h5"));
  EXPECT_THROW(reader.read_table("/missing"), core::UserError);
  {
    ArrayFileWriter writer(dir.file("array.h5"));
    writer.set_attribute("n", int64_t{1});
  }

  EXPECT_EQ(calls, 0) << "the formats report failures as exceptions, not through HDF5's printing";
  expect_handler(count_calls, &calls);
  fail_an_hdf5_call();
  EXPECT_EQ(calls, 1);
}

TEST(Hdf5Site, WriteFailuresAreOursAndReadFailuresAreTheUsers) {
  const hdf5::QuietErrors quiet;
  const Site write("test file", "/nonexistent/t.h5", Site::Mode::kWrite);
  try {
    write.id(H5Fopen("/nonexistent/t.h5", H5F_ACC_RDONLY, H5P_DEFAULT), "opening it");
    FAIL() << "expected hdf5::Failure";
  } catch (const hdf5::Failure& e) {
    EXPECT_EQ(dynamic_cast<const core::UserError*>(&e), nullptr);
    EXPECT_EQ(e.action(), "opening it");
    EXPECT_NE(e.detail().find("H5Fopen()"), std::string::npos) << e.detail();
    EXPECT_EQ(std::string(e.what()).rfind("test file '/nonexistent/t.h5': opening it failed (H5Fopen(): ", 0), 0u)
        << e.what();
  }
  const Site read("", "/nonexistent/t.h5", Site::Mode::kRead);
  const std::string message =
      user_error_of([&] { read.id(H5Fopen("/nonexistent/t.h5", H5F_ACC_RDONLY, H5P_DEFAULT), "opening it"); });
  EXPECT_EQ(message.rfind("/nonexistent/t.h5: opening it failed (H5Fopen(): ", 0), 0u) << message;
  EXPECT_NE(message.find("HINT:"), std::string::npos) << message;
  EXPECT_EQ(hdf5::take_error(), "no HDF5 error details") << "fail() took the error stack";
}

TEST(Hdf5Paths, NameMembersAsMessagesShowThem) {
  EXPECT_EQ(hdf5::child_path("/", "train"), "/train");
  EXPECT_EQ(hdf5::child_path("", "train"), "/train");
  EXPECT_EQ(hdf5::child_path("/eval", "zs"), "/eval/zs");
  EXPECT_EQ(hdf5::attr_member("/eval/zs", "top1"), "attribute 'top1' of /eval/zs");
}

class Hdf5Toolkit : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = hdf5::create_file(path_, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_TRUE(file_.valid()) << hdf5::take_error();
  }

  hdf5::QuietErrors quiet_;
  clipscale::testing::ScratchDir dir_;
  const std::string path_ = dir_.file("t.h5");
  const Site write_{"test file", path_, Site::Mode::kWrite};
  const Site read_{"test file", path_, Site::Mode::kRead};
  Handle file_;
};

TEST_F(Hdf5Toolkit, AttributesRoundTripWithTheirStoredTypes) {
  const hid_t root = file_.get();
  hdf5::write_attr(root, "/", "s", std::string("grüße"), write_);
  hdf5::write_attr(root, "/", "i", int64_t{-7}, write_);
  hdf5::write_attr(root, "/", "d", 0.25, write_);

  EXPECT_EQ(hdf5::read_string_attr(root, "/", "s", read_), "grüße");
  EXPECT_EQ(hdf5::read_int64_attr(root, "/", "i", read_), -7);
  EXPECT_EQ(hdf5::read_double_attr(root, "/", "d", read_), 0.25);
  EXPECT_EQ(hdf5::read_double_attr(root, "/", "i", read_), -7.0) << "an integer reads as a number";
  EXPECT_EQ(hdf5::read_value(hdf5::open_attr(root, "/", "i", read_), read_), hdf5::AttrValue(int64_t{-7}));
  EXPECT_EQ(hdf5::read_value(hdf5::open_attr(root, "/", "d", read_), read_), hdf5::AttrValue(0.25));
  EXPECT_EQ(hdf5::read_value(hdf5::open_attr(root, "/", "s", read_), read_), hdf5::AttrValue(std::string("grüße")));
  EXPECT_EQ(hdf5::attr_names(root, "/", read_), (std::vector<std::string>{"d", "i", "s"}));
  EXPECT_TRUE(hdf5::has_attr(root, "/", "s", read_));
  EXPECT_FALSE(hdf5::has_attr(root, "/", "t", read_));

  const hdf5::Attr i = hdf5::open_attr(root, "/", "i", read_);
  EXPECT_GT(H5Tequal(i.type.get(), H5T_STD_I64LE), 0);
  const hdf5::Attr d = hdf5::open_attr(root, "/", "d", read_);
  EXPECT_GT(H5Tequal(d.type.get(), H5T_IEEE_F64LE), 0);
  const hdf5::Attr s = hdf5::open_attr(root, "/", "s", read_);
  EXPECT_GT(H5Tis_variable_str(s.type.get()), 0);
  EXPECT_EQ(H5Tget_cset(s.type.get()), H5T_CSET_UTF8) << "h5py reads it as str";
}

TEST_F(Hdf5Toolkit, AttributeWrittenAgainTakesTheNewValueOfEitherKind) {
  const hid_t root = file_.get();
  hdf5::write_attr(root, "/", "status", std::string("running"), write_);
  hdf5::write_attr(root, "/", "status", std::string("done"), write_);
  EXPECT_EQ(hdf5::read_string_attr(root, "/", "status", read_), "done");
  hdf5::write_attr(root, "/", "status", 1.5, write_);
  EXPECT_EQ(hdf5::read_value(hdf5::open_attr(root, "/", "status", read_), read_), hdf5::AttrValue(1.5));
  EXPECT_EQ(hdf5::attr_names(root, "/", read_), std::vector<std::string>{"status"});
}

TEST_F(Hdf5Toolkit, AttributeOfTheWrongKindOrMissingIsAUserErrorNamingIt) {
  hdf5::write_attr(file_.get(), "/", "n", int64_t{3}, write_);
  const std::string wrong = user_error_of([&] { hdf5::read_string_attr(file_.get(), "/", "n", read_); });
  EXPECT_NE(wrong.find(path_), std::string::npos) << wrong;
  EXPECT_NE(wrong.find("attribute 'n' of / is an integer, expected a string"), std::string::npos) << wrong;
  EXPECT_NE(wrong.find("HINT:"), std::string::npos) << wrong;
  const std::string missing = user_error_of([&] { hdf5::read_int64_attr(file_.get(), "/", "m", read_); });
  EXPECT_NE(missing.find("attribute 'm' of / is missing"), std::string::npos) << missing;
}

TEST_F(Hdf5Toolkit, SeriesAppendsReadBackAcrossChunksAndTruncate) {
  const Handle group = hdf5::create_group(file_.get(), "/", "g", write_);
  const hdf5::Series series = hdf5::create_series(group.get(), "/g", "x", H5T_IEEE_F64LE, 4, write_);
  EXPECT_EQ(series.path, "/g/x");
  std::vector<double> want;
  for (int row = 0; row < 10; ++row) {  // 2.5 chunks
    const double value = 0.5 * row;
    hdf5::append_row(series, static_cast<hsize_t>(row), H5T_NATIVE_DOUBLE, &value, write_);
    want.push_back(value);
  }
  EXPECT_EQ(hdf5::read_values<double>(series.dataset.get(), series.path, H5T_NATIVE_DOUBLE, false, read_), want);

  const Handle dcpl(H5Dget_create_plist(series.dataset.get()), H5Pclose);
  hsize_t chunk = 0;
  ASSERT_EQ(H5Pget_chunk(dcpl.get(), 1, &chunk), 1);
  EXPECT_EQ(chunk, 4u);
  const Handle space(H5Dget_space(series.dataset.get()), H5Sclose);
  hsize_t rows = 0;
  hsize_t max_rows = 0;
  H5Sget_simple_extent_dims(space.get(), &rows, &max_rows);
  EXPECT_EQ(max_rows, H5S_UNLIMITED);

  const double again = 9;
  hdf5::append_row(series, 9, H5T_NATIVE_DOUBLE, &again, write_);  // a retried append rewrites its row
  want.back() = 9;
  EXPECT_EQ(hdf5::read_named_values<double>(group.get(), "/g", "x", H5T_NATIVE_DOUBLE, false, read_), want);

  EXPECT_TRUE(hdf5::truncate_series(series, 3));
  EXPECT_EQ(hdf5::read_named_values<int64_t>(group.get(), "/g", "x", H5T_NATIVE_INT64, false, read_),
            (std::vector<int64_t>{0, 0, 1}))
      << "converted by HDF5";
  const std::string missing =
      user_error_of([&] { hdf5::read_named_values<double>(group.get(), "/g", "y", H5T_NATIVE_DOUBLE, false, read_); });
  EXPECT_NE(missing.find("dataset /g/y is missing"), std::string::npos) << missing;
}

TEST_F(Hdf5Toolkit, DatasetsAndStringsRoundTrip) {
  const std::vector<int64_t> grid = {1, 2, 3, 4, 5, 6};
  hdf5::write_dataset(file_.get(), "/", "grid", H5T_STD_I64LE, H5T_NATIVE_INT64, {2, 3}, grid.data(), write_);
  const std::vector<std::string> names = {"a", "", "ünï"};
  hdf5::write_string_dataset(file_.get(), "/", "names", names, write_);

  const Handle strings(H5Dopen2(file_.get(), "names", H5P_DEFAULT), H5Dclose);
  EXPECT_EQ(hdf5::read_strings(strings.get(), "/names", read_), names);
  const Handle grid_set(H5Dopen2(file_.get(), "grid", H5P_DEFAULT), H5Dclose);
  const std::string rank = user_error_of([&] { hdf5::dataset_rows(grid_set.get(), "dataset /grid", read_); });
  EXPECT_NE(rank.find("dataset /grid has 2 dimensions, expected 1"), std::string::npos) << rank;
  EXPECT_EQ(hdf5::object_type(file_.get(), "grid"), H5O_TYPE_DATASET);
  EXPECT_EQ(hdf5::object_type(file_.get(), "missing"), H5O_TYPE_UNKNOWN);
}

TEST_F(Hdf5Toolkit, LinkNamesFollowCreationOrderWhereTheGroupTracksIt) {
  const Handle gcpl = hdf5::creation_order_plist(H5P_GROUP_CREATE, write_);
  const Handle ordered = hdf5::create_group(file_.get(), "/", "ordered", write_, gcpl.get());
  const Handle plain = hdf5::create_group(file_.get(), "/", "plain", write_);
  for (const char* name : {"b", "a"}) {
    hdf5::create_group(ordered.get(), "/ordered", name, write_);
    hdf5::create_group(plain.get(), "/plain", name, write_);
  }
  EXPECT_EQ(hdf5::link_names(ordered.get(), "/ordered", read_), (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(hdf5::link_names(plain.get(), "/plain", read_), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(hdf5::link_exists(file_.get(), "plain", "/plain", read_));
  EXPECT_FALSE(hdf5::link_exists(file_.get(), "other", "/other", read_));
  const std::string missing = user_error_of([&] { hdf5::open_group(file_.get(), "/", "other", read_); });
  EXPECT_NE(missing.find("group /other is missing"), std::string::npos) << missing;
}

TEST_F(Hdf5Toolkit, FlushAndCloseClosesTheFileForOthers) {
  hdf5::write_attr(file_.get(), "/", "n", int64_t{5}, write_);
  hdf5::flush_and_close(file_, write_, "closing the file");
  EXPECT_FALSE(file_.valid());
  hdf5::flush_and_close(file_, write_, "closing the file");  // nothing open: nothing to do
  const Handle reopened = hdf5::open_file(path_, H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_TRUE(reopened.valid()) << "the file is not held open any more";
  EXPECT_EQ(hdf5::read_int64_attr(reopened.get(), "/", "n", read_), 5);
  const std::optional<uint64_t> room = hdf5::free_bytes(dir_.path().string());
  ASSERT_TRUE(room.has_value());
  EXPECT_GT(*room, 0u);
  EXPECT_FALSE(hdf5::free_bytes(dir_.file("missing/dir")).has_value());
}

}  // namespace
}  // namespace clipscale::io
