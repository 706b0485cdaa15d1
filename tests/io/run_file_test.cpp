#include "io/run_file.h"

#include <hdf5.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/atomic_file.h"
#include "support/process.h"
#include "support/scratch_dir.h"

namespace clipscale::io {
namespace {

const std::vector<EvalTaskLayout> kLayout = {{"zeroshot_shape", {"top1", "top5"}}, {"retrieval", {"i2t_r1"}}};

RunHeader make_header() {
  RunHeader h;
  h.run_id = "tiny-vit-s-123";
  h.config_toml = "[model]\nname = \"vit-s16\"  # from experiments/tiny.toml:3\n";
  h.git_sha = "0123456789ab";
  h.variant = "metaclip";
  h.params_image = 2000000;
  h.params_text = 1000000;
  h.params_total = 3000000;
  h.flops_per_sample = 4.5e9;
  h.samples_seen_target = 51200;
  h.data_size = 10000;
  h.seed = 17;
  h.world_size = 2;
  h.extra_string_attrs = {{"model", "vit-s16"}, {"sweep", "tiny"}};
  h.extra_number_attrs = {{"compute_flops", 6.9e14}};
  return h;
}

// Row i of the train series; python_check below recomputes the same values.
TrainRecord train_row(int i) {
  TrainRecord r;
  r.step = i + 1;
  r.samples_seen = int64_t{i + 1} * 512;
  r.loss = 5.0 / (1 + i);
  r.lr = 1e-5 * (i + 1);
  r.logit_scale = 14.0 + 0.125 * i;
  r.samples_per_s = 1000.0 + i;
  r.data_wait_s = 0.001 * i;
  return r;
}

void expect_train_rows(const std::vector<TrainRecord>& rows, int count) {
  ASSERT_EQ(rows.size(), static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    const TrainRecord want = train_row(i);
    const TrainRecord& got = rows[static_cast<size_t>(i)];
    SCOPED_TRACE(i);
    EXPECT_EQ(got.step, want.step);
    EXPECT_EQ(got.samples_seen, want.samples_seen);
    EXPECT_EQ(got.loss, want.loss);
    EXPECT_EQ(got.lr, want.lr);
    EXPECT_EQ(got.logit_scale, want.logit_scale);
    EXPECT_EQ(got.samples_per_s, want.samples_per_s);
    EXPECT_EQ(got.data_wait_s, want.data_wait_s);
  }
}

void expect_header_equal(const RunHeader& got, const RunHeader& want) {
  EXPECT_EQ(got.run_id, want.run_id);
  EXPECT_EQ(got.config_toml, want.config_toml);
  EXPECT_EQ(got.git_sha, want.git_sha);
  EXPECT_EQ(got.variant, want.variant);
  EXPECT_EQ(got.params_image, want.params_image);
  EXPECT_EQ(got.params_text, want.params_text);
  EXPECT_EQ(got.params_total, want.params_total);
  EXPECT_EQ(got.flops_per_sample, want.flops_per_sample);
  EXPECT_EQ(got.samples_seen_target, want.samples_seen_target);
  EXPECT_EQ(got.data_size, want.data_size);
  EXPECT_EQ(got.seed, want.seed);
  EXPECT_EQ(got.world_size, want.world_size);
  EXPECT_EQ(got.extra_string_attrs, want.extra_string_attrs);
  EXPECT_EQ(got.extra_number_attrs, want.extra_number_attrs);
}

// The complete run the round-trip and Python tests write.
void write_complete_run(const std::string& path) {
  RunWriter writer(path, make_header(), kLayout);
  for (int i = 0; i < 100; ++i) writer.append_train(train_row(i));
  writer.append_eval("zeroshot_shape", 25600, {{"top1", 0.25}, {"top5", 0.5}});
  writer.append_eval("retrieval", 25600, {{"i2t_r1", 0.125}});
  writer.append_eval("zeroshot_shape", 51200, {{"top1", 0.625}, {"top5", 0.875}});
  writer.finish(kRunStatusDone,
                {{"zeroshot_shape", {{"top1", 0.625}, {"top5", 0.875}}}, {"retrieval", {{"i2t_r1", 0.25}}}});
}

// Runs `script` with the system Python and h5py on `args`; skips the test when h5py is absent.
#define EXPECT_H5PY_SCRIPT_PASSES(dir, script, args)                                                        \
  do {                                                                                                      \
    if (!testing::system_python_has("h5py, numpy")) GTEST_SKIP() << "/usr/bin/python3 with h5py not found"; \
    const testing::CommandResult result = testing::run_system_python((dir).file("check.py"), script, args); \
    EXPECT_EQ(result.exit_code, 0) << result.output;                                                        \
    EXPECT_EQ(result.output, "ok\n");                                                                       \
  } while (0)

class RunFileTest : public ::testing::Test {
 protected:
  testing::ScratchDir dir_;
  const std::string path_ = dir_.file("results/tiny/runs/tiny-vit-s-123.h5");
};

TEST_F(RunFileTest, RoundTripReturnsEveryField) {
  write_complete_run(path_);
  const RunFile run = read_run_file(path_);
  EXPECT_EQ(run.schema_version, kRunFileSchemaVersion);
  EXPECT_EQ(run.status, "done");
  EXPECT_EQ(run.finished_utc.size(), 20u) << run.finished_utc;  // 2024-05-01T12:34:56Z
  expect_header_equal(run.header, make_header());
  expect_train_rows(run.train, 100);

  const std::map<std::string, std::map<std::string, std::vector<double>>> want_series = {
      {"zeroshot_shape", {{"samples_seen", {25600, 51200}}, {"top1", {0.25, 0.625}}, {"top5", {0.5, 0.875}}}},
      {"retrieval", {{"samples_seen", {25600}}, {"i2t_r1", {0.125}}}}};
  EXPECT_EQ(run.eval_series, want_series);
  const std::map<std::string, std::map<std::string, double>> want_final = {
      {"zeroshot_shape", {{"top1", 0.625}, {"top5", 0.875}}}, {"retrieval", {{"i2t_r1", 0.25}}}};
  EXPECT_EQ(run.eval_final, want_final);
}

TEST_F(RunFileTest, H5pyReadsAttributesSeriesAndFinalValues) {
  write_complete_run(path_);
  const std::string script = R"PY(
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    a = f.attrs
    assert a["schema_version"] == 1, a["schema_version"]
    assert a["run_id"] == "tiny-vit-s-123", repr(a["run_id"])
    assert a["params_total"] == 3000000, a["params_total"]
    assert a["flops_per_sample"] == 4.5e9
    assert a["status"] == "done", repr(a["status"])
    assert a["model"] == "vit-s16", repr(a["model"])
    loss = f["train/loss"]
    assert loss.shape == (100,) and loss.maxshape == (None,), (loss.shape, loss.maxshape)
    assert loss.dtype == "float64" and f["train/step"].dtype == "int64"
    assert [float(v) for v in loss[:]] == [5.0 / (1 + i) for i in range(100)]
    assert list(f["train/step"][:]) == list(range(1, 101))
    g = f["eval/zeroshot_shape"]
    assert g.attrs["top1"] == 0.625 and g.attrs["top5"] == 0.875, dict(g.attrs)
    assert list(g["samples_seen"][:]) == [25600, 51200]
    assert list(g["top1"][:]) == [0.25, 0.625]
    assert f["eval/retrieval"].attrs["i2t_r1"] == 0.25
print("ok")
)PY";
  EXPECT_H5PY_SCRIPT_PASSES(dir_, script, std::vector<std::string>{path_});
}

TEST_F(RunFileTest, H5pySwmrReaderSeesTheLiveRunGrow) {
  if (!testing::system_python_has("h5py, numpy")) GTEST_SKIP() << "/usr/bin/python3 with h5py not found";
  const std::string script = R"PY(
import sys, h5py
path, rows, evals = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with h5py.File(path, "r", libver="latest", swmr=True) as f:
    assert f.attrs["status"] == "running", repr(f.attrs["status"])
    loss = f["train/loss"]
    loss.refresh()
    assert loss.shape == (rows,), (loss.shape, rows)
    assert f["train/step"][rows - 1] == rows
    assert f["eval/zeroshot_shape/top1"].shape == (evals,)
    assert all(v != v for v in f["eval/zeroshot_shape"].attrs.values())  # final values still NaN
print("ok")
)PY";
  RunWriter writer(path_, make_header(), kLayout);
  for (int i = 0; i < 10; ++i) writer.append_train(train_row(i));
  {
    const testing::CommandResult r = testing::run_system_python(dir_.file("live.py"), script, {path_, "10", "0"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
  }
  for (int i = 10; i < 300; ++i) writer.append_train(train_row(i));  // crosses a chunk boundary
  writer.append_eval("zeroshot_shape", 1000, {{"top1", 0.5}, {"top5", 0.75}});
  {
    const testing::CommandResult r = testing::run_system_python(dir_.file("live.py"), script, {path_, "300", "1"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
  }
  writer.finish(kRunStatusDone, {});
  EXPECT_EQ(read_run_file(path_).status, "done");
}

TEST_F(RunFileTest, ReadRunFileInTheWritingProcessSeesTheLiveRun) {
  RunWriter writer(path_, make_header(), kLayout);
  for (int i = 0; i < 7; ++i) writer.append_train(train_row(i));
  const RunFile live = read_run_file(path_);
  EXPECT_EQ(live.status, "running");
  EXPECT_TRUE(live.finished_utc.empty());
  expect_train_rows(live.train, 7);
  writer.finish(kRunStatusDone, {});
}

// Blocks until the other process writes one byte; false on end of file (it exited).
bool wait_for(int fd) {
  char c = 0;
  return ::read(fd, &c, 1) == 1;
}
void signal_to(int fd) {
  const char c = 'x';
  (void)!::write(fd, &c, 1);
}

TEST_F(RunFileTest, ReadRunFileInAnotherProcessSeesTheLiveRun) {
  int to_parent[2];
  int to_child[2];
  ASSERT_EQ(::pipe(to_parent), 0);
  ASSERT_EQ(::pipe(to_child), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {  // the writer; never returns into the test framework
    ::close(to_parent[0]);
    ::close(to_child[1]);
    int code = 0;
    try {
      RunWriter writer(path_, make_header(), kLayout);
      for (int i = 0; i < 10; ++i) writer.append_train(train_row(i));
      signal_to(to_parent[1]);
      if (!wait_for(to_child[0])) ::_exit(3);
      for (int i = 10; i < 20; ++i) writer.append_train(train_row(i));
      writer.append_eval("retrieval", 5120, {{"i2t_r1", 0.5}});
      signal_to(to_parent[1]);
      if (!wait_for(to_child[0])) ::_exit(3);
      writer.finish(kRunStatusDone, {{"retrieval", {{"i2t_r1", 0.5}}}});
    } catch (...) {
      code = 2;
    }
    ::_exit(code);
  }
  ::close(to_parent[1]);
  ::close(to_child[0]);
  // Closing our write end lets a blocked child exit if an assertion below returns early.
  struct Reap {
    int fd;
    pid_t pid;
    int status = -1;
    ~Reap() {
      if (fd >= 0) ::close(fd);
      if (status == -1) ::waitpid(pid, &status, 0);
    }
  } reap{to_child[1], pid};

  ASSERT_TRUE(wait_for(to_parent[0])) << "the writer process failed";
  RunFile live = read_run_file(path_);
  EXPECT_EQ(live.status, "running");
  expect_train_rows(live.train, 10);
  EXPECT_EQ(live.eval_series.at("retrieval").at("samples_seen").size(), 0u);

  signal_to(reap.fd);
  ASSERT_TRUE(wait_for(to_parent[0])) << "the writer process failed";
  live = read_run_file(path_);
  EXPECT_EQ(live.status, "running");
  expect_train_rows(live.train, 20);
  EXPECT_EQ(live.eval_series.at("retrieval").at("i2t_r1"), std::vector<double>{0.5});
  EXPECT_TRUE(std::isnan(live.eval_final.at("retrieval").at("i2t_r1")));

  signal_to(reap.fd);
  ::close(reap.fd);
  reap.fd = -1;
  ASSERT_EQ(::waitpid(pid, &reap.status, 0), pid);
  ::close(to_parent[0]);
  ASSERT_TRUE(WIFEXITED(reap.status));
  ASSERT_EQ(WEXITSTATUS(reap.status), 0);
  const RunFile done = read_run_file(path_);
  EXPECT_EQ(done.status, "done");
  EXPECT_EQ(done.eval_final.at("retrieval").at("i2t_r1"), 0.5);
}

TEST_F(RunFileTest, FinishSucceedsWhileASwmrReaderKeepsTheFileOpen) {
  int to_parent[2];
  int to_child[2];
  ASSERT_EQ(::pipe(to_parent), 0);
  ASSERT_EQ(::pipe(to_child), 0);
  // Forked before the writer exists: a child must not inherit an open HDF5 file.
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {  // a reader like a dashboard: opens with SWMR and stays open
    ::close(to_parent[0]);
    ::close(to_child[1]);
    if (!wait_for(to_child[0])) ::_exit(3);
    const hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
    const hid_t file = H5Fopen(path_.c_str(), H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, fapl);
    if (file < 0) ::_exit(2);
    signal_to(to_parent[1]);
    wait_for(to_child[0]);
    H5Fclose(file);
    ::_exit(0);
  }
  ::close(to_parent[1]);
  ::close(to_child[0]);
  struct Reap {
    int fd;
    pid_t pid;
    int status = -1;
    ~Reap() {
      if (fd >= 0) ::close(fd);
      if (status == -1) ::waitpid(pid, &status, 0);
    }
  } reap{to_child[1], pid};

  RunWriter writer(path_, make_header(), kLayout);
  writer.append_train(train_row(0));
  signal_to(reap.fd);
  ASSERT_TRUE(wait_for(to_parent[0])) << "the reader process failed to open the live file";
  writer.finish(kRunStatusDone, {{"retrieval", {{"i2t_r1", 0.75}}}});  // waits 2 s for the reader's lock

  signal_to(reap.fd);
  ::close(reap.fd);
  reap.fd = -1;
  ASSERT_EQ(::waitpid(pid, &reap.status, 0), pid);
  ::close(to_parent[0]);
  EXPECT_TRUE(WIFEXITED(reap.status) && WEXITSTATUS(reap.status) == 0);
  const RunFile run = read_run_file(path_);
  EXPECT_EQ(run.status, "done");
  EXPECT_EQ(run.eval_final.at("retrieval").at("i2t_r1"), 0.75);
  expect_train_rows(run.train, 1);
}

TEST_F(RunFileTest, FileOfAKilledWriterIsStillReadable) {
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    try {
      RunWriter writer(path_, make_header(), kLayout);
      for (int i = 0; i < 5; ++i) writer.append_train(train_row(i));
      writer.append_eval("zeroshot_shape", 2560, {{"top1", 0.125}, {"top5", 0.25}});
      ::_exit(0);  // dies without closing the file, like a SIGKILL
    } catch (...) {
      ::_exit(2);
    }
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  const RunFile run = read_run_file(path_);
  EXPECT_EQ(run.status, "running");
  expect_train_rows(run.train, 5);
  EXPECT_EQ(run.eval_series.at("zeroshot_shape").at("top5"), std::vector<double>{0.25});
}

TEST_F(RunFileTest, WriterDestroyedWithoutFinishMarksTheRunFailed) {
  {
    RunWriter writer(path_, make_header(), kLayout);
    for (int i = 0; i < 3; ++i) writer.append_train(train_row(i));
  }
  const RunFile run = read_run_file(path_);
  EXPECT_EQ(run.status, "failed");
  EXPECT_FALSE(run.finished_utc.empty());
  expect_train_rows(run.train, 3);
}

TEST_F(RunFileTest, PreemptedRunKeepsUnsetFinalValuesAsNaN) {
  RunWriter writer(path_, make_header(), kLayout);
  writer.append_eval("zeroshot_shape", 100, {{"top1", 0.5}});  // top5 not measured
  writer.finish(kRunStatusPreempted, {{"zeroshot_shape", {{"top1", 0.5}}}});
  const RunFile run = read_run_file(path_);
  EXPECT_EQ(run.status, "preempted");
  EXPECT_TRUE(run.train.empty());
  EXPECT_EQ(run.eval_final.at("zeroshot_shape").at("top1"), 0.5);
  EXPECT_TRUE(std::isnan(run.eval_final.at("zeroshot_shape").at("top5")));
  EXPECT_TRUE(std::isnan(run.eval_series.at("zeroshot_shape").at("top5").at(0)));
  EXPECT_TRUE(std::isnan(run.eval_final.at("retrieval").at("i2t_r1")));
}

TEST_F(RunFileTest, MovedWriterKeepsWriting) {
  RunWriter first(path_, make_header(), kLayout);
  first.append_train(train_row(0));
  RunWriter second(std::move(first));
  second.append_train(train_row(1));
  second.finish(kRunStatusDone, {});
  const RunFile run = read_run_file(path_);
  EXPECT_EQ(run.status, "done");
  expect_train_rows(run.train, 2);
}

TEST_F(RunFileTest, MisuseFailsACheck) {
  RunWriter writer(path_, make_header(), kLayout);
  EXPECT_THROW(writer.append_eval("imagenet", 1, {{"top1", 0.1}}), core::Error);
  EXPECT_THROW(writer.append_eval("retrieval", 1, {{"top1", 0.1}}), core::Error);
  EXPECT_THROW(writer.finish("running", {}), core::Error);
  EXPECT_THROW(writer.finish("finished", {}), core::Error);
  EXPECT_THROW(writer.finish(kRunStatusDone, {{"retrieval", {{"t2i_r1", 0.1}}}}), core::Error);
  writer.finish(kRunStatusDone, {});
  EXPECT_THROW(writer.append_train(train_row(0)), core::Error);
  EXPECT_THROW(writer.finish(kRunStatusDone, {}), core::Error);
  EXPECT_EQ(read_run_file(path_).status, "done");
}

TEST_F(RunFileTest, BadLayoutsFailACheckBeforeTheFileIsCreated) {
  RunHeader clash = make_header();
  clash.extra_string_attrs["status"] = "x";
  const auto open = [&](const RunHeader& header, const std::vector<EvalTaskLayout>& layout) {
    RunWriter writer(path_, header, layout);
  };
  EXPECT_THROW(open(clash, kLayout), core::Error);
  EXPECT_THROW(open(make_header(), {{"a/b", {"top1"}}}), core::Error);
  EXPECT_THROW(open(make_header(), {{"t", {"samples_seen"}}}), core::Error);
  EXPECT_THROW(open(make_header(), {{"t", {"top1", "top1"}}}), core::Error);
  EXPECT_THROW(open(make_header(), {{"t", {}}, {"t", {}}}), core::Error);
  EXPECT_FALSE(std::filesystem::exists(path_));
}

// Sets the root attribute schema_version of a finished run file, as a future version would.
void overwrite_schema_version(const std::string& path, int64_t version) {
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  const hid_t attr = H5Aopen(file, "schema_version", H5P_DEFAULT);
  ASSERT_GE(attr, 0);
  EXPECT_GE(H5Awrite(attr, H5T_NATIVE_INT64, &version), 0);
  H5Aclose(attr);
  H5Fclose(file);
}

TEST_F(RunFileTest, WrongSchemaVersionIsAUserErrorWithExpectedFoundAndHint) {
  write_complete_run(path_);
  overwrite_schema_version(path_, 2);
  try {
    read_run_file(path_);
    FAIL() << "expected a UserError";
  } catch (const core::UserError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path_), std::string::npos) << what;
    EXPECT_NE(what.find("'schema_version' of / is 2, expected 1"), std::string::npos) << what;
    EXPECT_NE(what.find("0123456789ab"), std::string::npos) << what;
    EXPECT_NE(what.find("HINT:"), std::string::npos) << what;
  }
}

TEST_F(RunFileTest, Hdf5FileWithoutSchemaVersionIsAUserError) {
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
  const hid_t file = H5Fcreate(path_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  H5Fclose(file);
  try {
    read_run_file(path_);
    FAIL() << "expected a UserError";
  } catch (const core::UserError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path_), std::string::npos) << what;
    EXPECT_NE(what.find("'schema_version' of / is missing, expected 1"), std::string::npos) << what;
    EXPECT_NE(what.find("HINT:"), std::string::npos) << what;
  }
}

TEST_F(RunFileTest, NonHdf5AndMissingFilesAreUserErrors) {
  write_file_atomic(path_, "this is not HDF5");
  try {
    read_run_file(path_);
    FAIL() << "expected a UserError";
  } catch (const core::UserError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path_), std::string::npos) << what;
    EXPECT_NE(what.find("cannot be opened as HDF5"), std::string::npos) << what;
    EXPECT_NE(what.find("HINT:"), std::string::npos) << what;
  }
  try {
    read_run_file(dir_.file("missing.h5"));
    FAIL() << "expected a UserError";
  } catch (const core::UserError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("missing.h5' not found"), std::string::npos) << what;
    EXPECT_NE(what.find("HINT:"), std::string::npos) << what;
  }
}

// A tmpfs of `size` mounted at `dir` while it lives. mount(2) needs root (CAP_SYS_ADMIN); where it
// is refused, mounted() is false and error() says why.
class SmallTmpfs {
 public:
  SmallTmpfs(std::filesystem::path dir, const std::string& size) : dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_);
    mounted_ = ::mount("tmpfs", dir_.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
    if (!mounted_) error_ = std::strerror(errno);
  }
  ~SmallTmpfs() {
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }
  SmallTmpfs(const SmallTmpfs&) = delete;
  SmallTmpfs& operator=(const SmallTmpfs&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }

  /// Fills the file system with the file `name` until `leave` bytes are free (or fewer).
  void fill(const std::string& name, uint64_t leave) const {
    struct statvfs fs {};
    ASSERT_EQ(::statvfs(dir_.c_str(), &fs), 0);
    const uint64_t free = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
    std::ofstream out(dir_ / name, std::ios::binary);
    const std::string block(4096, 'x');
    for (uint64_t written = 0; written + leave < free && out; written += block.size()) out << block;
  }

 private:
  std::filesystem::path dir_;
  bool mounted_ = false;
  std::string error_;
};

void expect_space_hint(const std::string& message, const std::string& path) {
  EXPECT_NE(message.find("run file '" + path + "'"), std::string::npos) << message;
  EXPECT_NE(message.find("HINT: free space on the file system holding '" +
                         std::filesystem::path(path).parent_path().string() +
                         "' or move run.output_dir; the rows "
                         "already written are intact and the run resumes from its last checkpoint."),
            std::string::npos)
      << message;
}

// The lengths of the /train series, read with HDF5 itself (read_run_file would hide a series
// longer than the others).
std::set<hsize_t> train_series_lengths(const std::string& path) {
  std::set<hsize_t> lengths;
  const hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_libver_bounds(fapl, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, fapl);
  H5Pclose(fapl);
  EXPECT_GE(file, 0);
  for (const char* name : {"step", "samples_seen", "loss", "lr", "logit_scale", "samples_per_s", "data_wait_s"}) {
    const hid_t set = H5Dopen2(file, (std::string("train/") + name).c_str(), H5P_DEFAULT);
    const hid_t space = H5Dget_space(set);
    hsize_t rows = 0;
    H5Sget_simple_extent_dims(space, &rows, nullptr);
    lengths.insert(rows);
    H5Sclose(space);
    H5Dclose(set);
  }
  H5Fclose(file);
  return lengths;
}

TEST_F(RunFileTest, AppendOnAFullDiskIsAUserErrorAndTheRowsBeforeItStayIntact) {
  SmallTmpfs tmpfs(dir_.path() / "small", "1m");
  if (!tmpfs.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (" << tmpfs.error() << "); needs root";
  const std::string path = (dir_.path() / "small" / "runs" / "full.h5").string();
  std::optional<RunWriter> writer;
  writer.emplace(path, make_header(), kLayout);
  writer->append_eval("retrieval", 512, {{"i2t_r1", 0.25}});
  tmpfs.fill("ballast", 48 * 1024);  // room for a few chunks of rows (7 series × 2 KiB per 256 rows)

  int rows = 0;
  std::string error;
  for (; rows < 1000000 && error.empty(); ++rows) {
    try {
      writer->append_train(train_row(rows));
    } catch (const core::UserError& e) {
      error = e.what();
      break;
    }
  }
  ASSERT_FALSE(error.empty()) << "the disk never filled";
  EXPECT_GT(rows, 256) << "rows fit until the free space ran out";
  expect_space_hint(error, path);
  EXPECT_NE(error.find("cannot append the /train row of step " + std::to_string(rows + 1)), std::string::npos) << error;
  EXPECT_NE(error.find(" of /train/"), std::string::npos) << "names the dataset: " << error;
  EXPECT_NE(error.find("No space left on device"), std::string::npos) << error;

  // While the disk is full the status can't be recorded; the SWMR session still ends cleanly.
  try {
    writer->finish(kRunStatusFailed, {{"retrieval", {{"i2t_r1", 0.25}}}});
    FAIL() << "expected a UserError";
  } catch (const core::UserError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot record status \"failed\""), std::string::npos) << e.what();
    expect_space_hint(e.what(), path);
  }
  {
    const RunFile run = read_run_file(path);
    EXPECT_EQ(run.status, kRunStatusRunning);
    expect_train_rows(run.train, rows);
    EXPECT_EQ(run.eval_series.at("retrieval").at("i2t_r1"), std::vector<double>{0.25});
  }
  EXPECT_EQ(train_series_lengths(path), std::set<hsize_t>{static_cast<hsize_t>(rows)})
      << "the failed row is undone in every series";
  // With room again, finish() is retried and completes.
  std::filesystem::remove(dir_.path() / "small" / "ballast");
  writer->finish(kRunStatusFailed, {{"retrieval", {{"i2t_r1", 0.25}}}});
  writer.reset();
  const RunFile run = read_run_file(path);
  EXPECT_EQ(run.status, kRunStatusFailed);
  EXPECT_FALSE(run.finished_utc.empty());
  expect_train_rows(run.train, rows);
  EXPECT_EQ(run.eval_final.at("retrieval").at("i2t_r1"), 0.25);
}

TEST_F(RunFileTest, WriterDestroyedOnAFullDiskLeavesAReadableRunFile) {
  SmallTmpfs tmpfs(dir_.path() / "small", "1m");
  if (!tmpfs.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (" << tmpfs.error() << "); needs root";
  const std::string path = (dir_.path() / "small" / "full.h5").string();
  int rows = 0;
  {
    RunWriter writer(path, make_header(), kLayout);
    tmpfs.fill("ballast", 0);
    try {
      for (; rows < 1000000; ++rows) writer.append_train(train_row(rows));
    } catch (const core::UserError& e) {
      expect_space_hint(e.what(), path);
    }
  }  // the destructor's finish("failed") can't record the status; it must not throw or crash
  const RunFile run = read_run_file(path);
  EXPECT_EQ(run.status, kRunStatusRunning);
  expect_train_rows(run.train, rows);
  EXPECT_EQ(train_series_lengths(path), std::set<hsize_t>{static_cast<hsize_t>(rows)})
      << "every series holds exactly the rows appended";
}

}  // namespace
}  // namespace clipscale::io
