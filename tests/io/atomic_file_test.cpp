#include "io/atomic_file.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "support/scratch_dir.h"

namespace clipscale::io {
namespace {

namespace fs = std::filesystem;

// Names of the regular files and directories directly inside `dir`, sorted.
std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

class AtomicFile : public ::testing::Test {
 protected:
  testing::ScratchDir dir_;
};

TEST_F(AtomicFile, WriteThenReadReturnsTheSameBytesIncludingNul) {
  const std::string bytes("a\0b\xff\n", 5);
  write_file_atomic(dir_.file("x.bin"), bytes);
  EXPECT_EQ(read_file(dir_.file("x.bin")), bytes);
}

TEST_F(AtomicFile, WriteCreatesMissingParentDirectories) {
  const std::string path = dir_.file("a/b/c/x.txt");
  write_file_atomic(path, "hello");
  EXPECT_EQ(read_file(path), "hello");
}

TEST_F(AtomicFile, WriteReplacesAnExistingFileAndLeavesNoTemporaryFile) {
  const std::string path = dir_.file("x.txt");
  write_file_atomic(path, "old content that is longer");
  write_file_atomic(path, "new");
  EXPECT_EQ(read_file(path), "new");
  EXPECT_EQ(entries(dir_.path()), std::vector<std::string>{"x.txt"});
}

TEST_F(AtomicFile, WriteOfPiecesStoresTheirConcatenation) {
  const std::string path = dir_.file("x.txt");
  write_file_atomic(path, std::vector<std::string_view>{"ab", "", "cde"});
  EXPECT_EQ(read_file(path), "abcde");
}

TEST_F(AtomicFile, WriteOfAnEmptyFileWorks) {
  write_file_atomic(dir_.file("empty"), "");
  EXPECT_EQ(read_file(dir_.file("empty")), "");
}

TEST_F(AtomicFile, WriteBelowAFileThrowsUserErrorAndKeepsNothing) {
  write_file_atomic(dir_.file("plain"), "x");
  try {
    write_file_atomic(dir_.file("plain/sub/x.txt"), "y");
    FAIL() << "expected a throw";
  } catch (const core::UserError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("plain/sub/x.txt"), std::string::npos) << what;
    EXPECT_NE(what.find("HINT:"), std::string::npos) << what;
  }
  EXPECT_EQ(entries(dir_.path()), std::vector<std::string>{"plain"});
}

TEST_F(AtomicFile, ReadOfAMissingFileThrowsUserErrorNamingItWithAHint) {
  const std::string path = dir_.file("missing.txt");
  try {
    read_file(path);
    FAIL() << "expected a throw";
  } catch (const core::UserError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path), std::string::npos) << what;
    EXPECT_NE(what.find("no such file"), std::string::npos) << what;
    EXPECT_NE(what.find("HINT:"), std::string::npos) << what;
  }
}

TEST_F(AtomicFile, ReadOfADirectoryThrowsUserError) { EXPECT_THROW(read_file(dir_.path().string()), core::UserError); }

TEST_F(AtomicFile, RenameDirMovesTheDirectoryInWhenTheTargetIsAbsent) {
  write_file_atomic(dir_.file("ckpt.tmp/model.bin"), "m1");
  rename_dir_atomic(dir_.file("ckpt.tmp"), dir_.file("runs/ckpt"));
  EXPECT_EQ(read_file(dir_.file("runs/ckpt/model.bin")), "m1");
  EXPECT_FALSE(fs::exists(dir_.file("ckpt.tmp")));
}

TEST_F(AtomicFile, RenameDirReplacesTheOldDirectoryCompletelyAndRemovesIt) {
  write_file_atomic(dir_.file("ckpt/model.bin"), "old");
  write_file_atomic(dir_.file("ckpt/only_in_old.txt"), "x");
  write_file_atomic(dir_.file("ckpt.tmp/model.bin"), "new");
  rename_dir_atomic(dir_.file("ckpt.tmp"), dir_.file("ckpt/"));
  EXPECT_EQ(read_file(dir_.file("ckpt/model.bin")), "new");
  EXPECT_FALSE(fs::exists(dir_.file("ckpt/only_in_old.txt")));
  EXPECT_EQ(entries(dir_.path()), std::vector<std::string>{"ckpt"});
}

TEST_F(AtomicFile, RenameDirRemovesAStaleOldDirectoryFromAnInterruptedReplace) {
  write_file_atomic(dir_.file("ckpt.old/model.bin"), "stale");
  write_file_atomic(dir_.file("ckpt.tmp/model.bin"), "new");
  rename_dir_atomic(dir_.file("ckpt.tmp"), dir_.file("ckpt"));
  EXPECT_EQ(read_file(dir_.file("ckpt/model.bin")), "new");
  EXPECT_EQ(entries(dir_.path()), std::vector<std::string>{"ckpt"});
}

TEST_F(AtomicFile, RenameDirOfAMissingSourceThrowsAndKeepsTheTarget) {
  write_file_atomic(dir_.file("ckpt/model.bin"), "old");
  EXPECT_THROW(rename_dir_atomic(dir_.file("nope.tmp"), dir_.file("ckpt")), core::Error);
  EXPECT_EQ(read_file(dir_.file("ckpt/model.bin")), "old");
}

}  // namespace
}  // namespace clipscale::io
