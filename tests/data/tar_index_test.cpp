#include "data/tar_index.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "convert/shard_writer.h"
#include "core/error.h"
#include "support/scratch_dir.h"

namespace clipscale::data {
namespace {

using clipscale::testing::ScratchDir;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

/// A tar whose members are given; returns its path.
std::string write_tar(const ScratchDir& dir, const std::vector<std::pair<std::string, std::string>>& members,
                      const std::string& name = "shard.tar") {
  convert::TarWriter writer(dir.file(name));
  for (const auto& [member, bytes] : members) writer.add(member, bytes);
  writer.close();
  return dir.file(name);
}

TEST(TarIndex, OffsetsPointAtEachMembersBytesIncludingLongNames) {
  ScratchDir dir;
  const std::string long_name = std::string(150, 'x') + "/" + std::string(120, 'y') + ".txt";  // needs a pax header
  const std::vector<std::pair<std::string, std::string>> members = {
      {"a.txt", "alpha"}, {long_name, std::string(1000, 'L')}, {"empty.txt", ""}, {"b.bin", std::string(513, '\x01')}};
  const std::string path = write_tar(dir, members);
  const TarIndex index = build_tar_index(path);
  EXPECT_FALSE(index.truncated) << index.problem;
  ASSERT_EQ(index.members.size(), members.size());
  const std::string bytes = slurp(path);
  EXPECT_EQ(index.shard_size, bytes.size());
  for (size_t i = 0; i < members.size(); ++i) {
    EXPECT_EQ(index.members[i].name, members[i].first);
    EXPECT_EQ(bytes.substr(index.members[i].offset, index.members[i].size), members[i].second) << members[i].first;
  }
}

TEST(TarIndex, ATruncatedShardKeepsTheMembersBeforeTheCut) {
  ScratchDir dir;
  const std::string path = write_tar(
      dir, {{"0.txt", std::string(700, 'a')}, {"1.txt", std::string(700, 'b')}, {"2.txt", std::string(700, 'c')}});
  const TarIndex full = build_tar_index(path);
  ASSERT_EQ(full.members.size(), 3u);
  std::filesystem::resize_file(path, full.members[2].offset + 100);  // cut inside member 2's data
  const TarIndex cut = build_tar_index(path);
  EXPECT_TRUE(cut.truncated);
  EXPECT_FALSE(cut.problem.empty());
  ASSERT_EQ(cut.members.size(), 2u);
  for (const auto& m : cut.members) EXPECT_LE(m.offset + m.size, cut.shard_size);
}

TEST(TarIndex, GarbageIsAnEmptyTruncatedShardAndCompressedShardsAreRefused) {
  ScratchDir dir;
  std::ofstream(dir.file("junk.tar")) << std::string(3000, 'j');
  const TarIndex junk = build_tar_index(dir.file("junk.tar"));
  EXPECT_TRUE(junk.truncated);
  EXPECT_TRUE(junk.members.empty());
  std::ofstream(dir.file("x.tar.gz"), std::ios::binary) << std::string("\x1f\x8b\x08\x00", 4) << std::string(100, '\0');
  EXPECT_THROW(build_tar_index(dir.file("x.tar.gz")), core::UserError);
  EXPECT_THROW(build_tar_index(dir.file("missing.tar")), core::UserError);
}

TEST(TarIndex, TheCacheIsWrittenReusedAndRebuiltWhenTheShardChanges) {
  ScratchDir dir;
  const std::string path = write_tar(dir, {{"a.txt", "one"}});
  const TarIndex first = load_tar_index(path);
  ASSERT_TRUE(std::filesystem::exists(tar_index_path(path)));
  TarIndex parsed;
  ASSERT_TRUE(parse_tar_index(slurp(tar_index_path(path)), &parsed));
  EXPECT_EQ(parsed.members.size(), 1u);
  // A different shard under the same name (new size and mtime) is re-indexed.
  ::usleep(20000);
  write_tar(dir, {{"a.txt", "one"}, {"b.txt", "two"}});
  const TarIndex second = load_tar_index(path);
  EXPECT_EQ(second.members.size(), 2u);
  // A damaged cache is rebuilt, not trusted.
  std::ofstream(tar_index_path(path)) << "clipscale-tar-index 1\nshard_size 12\n";
  EXPECT_EQ(load_tar_index(path).members.size(), 2u);
}

TEST(TarIndex, SerialisationRoundTripsAnyName) {
  TarIndex index;
  index.shard_size = 5000;
  index.shard_mtime_ns = 123456789;
  index.truncated = true;
  index.problem = "Truncated tar archive 100%";
  index.members = {{"with space/and\nnewline %41.txt", 512, 10}, {"plain.jpg", 1536, 0}};
  TarIndex back;
  ASSERT_TRUE(parse_tar_index(serialize_tar_index(index), &back));
  EXPECT_EQ(back.problem, index.problem);
  ASSERT_EQ(back.members.size(), 2u);
  EXPECT_EQ(back.members[0].name, index.members[0].name);
  EXPECT_EQ(back.members[1].offset, 1536u);
  // An entry pointing outside the shard is a corrupt cache.
  index.members[0].offset = 4999;
  EXPECT_FALSE(parse_tar_index(serialize_tar_index(index), &back));
}

}  // namespace
}  // namespace clipscale::data
