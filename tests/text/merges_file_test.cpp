#include "text/merges_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/error.h"

namespace clipscale::text {
namespace {

namespace fs = std::filesystem;

class MergesFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("clipscale_merges_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::string write(const std::string& name, const std::string& content) const {
    std::ofstream(path(name), std::ios::binary) << content;
    return path(name);
  }

  static std::string read(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  // The UserError message of `fn`, or "" if it did not throw one.
  template <typename Fn>
  static std::string user_error(Fn fn) {
    try {
      fn();
    } catch (const core::UserError& e) {
      return e.what();
    }
    return "";
  }

  fs::path dir_;
};

const std::vector<Merge> kMerges = {{"i", "n"}, {"t", "h"}, {"in", "g</w>"}, {"\xC4\xA0", "a</w>"}};

}  // namespace

TEST_F(MergesFile, PlainAndGzipRoundTripExactly) {
  for (const std::string name : {"merges.txt", "merges.txt.gz"}) {
    write_merges_file(path(name), kMerges);
    EXPECT_EQ(read_merges_file(path(name), 1000), kMerges) << name;
  }
  EXPECT_EQ(read(path("merges.txt")), "#version: 0.2\ni n\nt h\nin g</w>\n\xC4\xA0 a</w>");
  const std::string gz = read(path("merges.txt.gz"));
  ASSERT_GE(gz.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1F);  // gzip magic
  EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8B);
}

TEST_F(MergesFile, WriteLeavesNoTemporaryFileAndReplacesAnOldFile) {
  write("m.txt", "old content");
  write_merges_file(path("m.txt"), kMerges);
  EXPECT_EQ(read_merges_file(path("m.txt"), 1000), kMerges);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(MergesFile, ReadsOnlyTheFirstMaxMergesAndIgnoresAFinalNewline) {
  const std::string p = write("m.txt", "bpe_simple_vocab_16e6.txt#version: 0.2\ni n\r\nt h\n");
  EXPECT_EQ(read_merges_file(p, 1000), (std::vector<Merge>{{"i", "n"}, {"t", "h"}}));
  EXPECT_EQ(read_merges_file(p, 1), (std::vector<Merge>{{"i", "n"}}));
  EXPECT_EQ(read_merges_file(p, 0), std::vector<Merge>{});
  // Lines past max_merges are not parsed, as OpenCLIP never reads them either.
  const std::string q = write("q.txt", "#version: 0.2\ni n\nnot a merge\n");
  EXPECT_EQ(read_merges_file(q, 1), (std::vector<Merge>{{"i", "n"}}));
}

TEST_F(MergesFile, MissingFileIsAUserErrorNamingTheFileWithAHint) {
  const std::string p = path("absent.txt.gz");
  const std::string message = user_error([&] { read_merges_file(p, 10); });
  EXPECT_NE(message.find(p), std::string::npos) << message;
  EXPECT_NE(message.find("No such file"), std::string::npos) << message;
  EXPECT_NE(message.find("HINT"), std::string::npos) << message;
}

TEST_F(MergesFile, MalformedLineIsAUserErrorNamingFileAndLine) {
  const std::string p = write("bad.txt", "#version: 0.2\ni n\nt h e\nx y\n");
  const std::string message = user_error([&] { read_merges_file(p, 10); });
  EXPECT_NE(message.find(p + ":3:"), std::string::npos) << message;
  EXPECT_NE(message.find("'t h e'"), std::string::npos) << message;
  EXPECT_NE(message.find("HINT"), std::string::npos) << message;

  const std::string empty_line = write("empty.txt", "#version: 0.2\ni n\n\nx y");
  EXPECT_NE(user_error([&] { read_merges_file(empty_line, 10); }).find(empty_line + ":3:"), std::string::npos);
}

TEST_F(MergesFile, MissingVersionHeaderIsAUserError) {
  const std::string p = write("noheader.txt", "i n\nt h\n");
  const std::string message = user_error([&] { read_merges_file(p, 10); });
  EXPECT_NE(message.find(p + ":1:"), std::string::npos) << message;
  EXPECT_NE(message.find("#version"), std::string::npos) << message;
  EXPECT_NE(message.find("HINT"), std::string::npos) << message;
}

TEST_F(MergesFile, TruncatedGzipIsAUserError) {
  std::vector<Merge> many;
  for (int i = 0; i < 2000; ++i) many.emplace_back("a" + std::to_string(i), "b" + std::to_string(i * 7919));
  write_merges_file(path("full.txt.gz"), many);
  const std::string gz = read(path("full.txt.gz"));
  const std::string p = write("cut.txt.gz", gz.substr(0, gz.size() / 2));
  const std::string message = user_error([&] { read_merges_file(p, 100000); });
  EXPECT_NE(message.find(p), std::string::npos) << message;
  EXPECT_NE(message.find("HINT"), std::string::npos) << message;
}

TEST_F(MergesFile, UnwritableDestinationIsAUserError) {
  const std::string p = path("no_such_dir/m.txt");
  const std::string message = user_error([&] { write_merges_file(p, kMerges); });
  EXPECT_NE(message.find(p), std::string::npos) << message;
  EXPECT_NE(message.find("HINT"), std::string::npos) << message;
}

}  // namespace clipscale::text
