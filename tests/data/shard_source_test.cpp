#include "data/shard_source.h"
#include "spec/source_spec.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/error.h"
#include "data/tar_index.h"
#include "shard_fixtures.h"
#include "spec/shard_pattern.h"
#include "support/scratch_dir.h"

namespace clipscale::data {
namespace {

using clipscale::testing::ScratchDir;
using testing::index_sample;
using testing::pixel_index;

ShardSource open_shards(const std::string& pattern, int64_t image_size = 8) {
  ShardSourceOptions options;
  options.pattern = pattern;
  options.shards = spec::expand_shard_pattern(pattern, "test");
  options.image_size = image_size;
  return ShardSource(options);
}

/// get() of `index` fails with `reason` and a message naming the shard and the member.
void expect_bad(const ShardSource& source, uint64_t index, SkipReason reason, const std::string& member) {
  try {
    source.get(index);
    ADD_FAILURE() << "sample " << index << " decoded";
  } catch (const BadSampleError& e) {
    EXPECT_EQ(e.reason(), reason) << e.what();
    EXPECT_NE(std::string(e.what()).find("shard.tar member " + member), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("HINT"), std::string::npos) << e.what();
  }
}

TEST(ShardSource, ReadsWebDatasetSamplesInShardOrder) {
  ScratchDir dir;
  const std::string pattern = testing::write_index_shards(dir.path().string(), 25, 10);
  EXPECT_EQ(pattern, dir.file("{00000..00002}.tar"));
  const ShardSource source = open_shards(pattern);
  ASSERT_EQ(source.size(), 25u);
  EXPECT_TRUE(source.excluded().total() == 0);
  for (uint64_t i = 0; i < 25; ++i) {
    const Example example = source.get(i);
    EXPECT_EQ(example.id, i);
    EXPECT_EQ(example.caption, "sample " + std::to_string(i));
    EXPECT_EQ(pixel_index(example.pixels.data()), i);
    EXPECT_EQ(source.caption(i), example.caption);
    EXPECT_EQ(source.metadata(i), "{\"index\": " + std::to_string(i) + "}");
  }
  // The index is cached beside each shard.
  EXPECT_TRUE(std::filesystem::exists(tar_index_path(dir.file("00001.tar"))));
}

TEST(ShardSource, EveryKindOfBadInputIsLeftOutOrRefusedWithShardAndMember) {
  ScratchDir dir;
  convert::TarWriter tar(dir.file("shard.tar"));
  const auto add = [&](const convert::ShardSample& s) {
    for (const auto& [ext, bytes] : s.members) tar.add(s.key + "." + ext, bytes);
  };
  add(index_sample(0));
  tar.add("000001.exe", "MZ\x90\x00 not an image");  // a member that is not an image
  tar.add("000001.txt", "sample 1");
  tar.add("000002.jpg", "this is text, not a JPEG");  // an undecodable image
  tar.add("000002.txt", "sample 2");
  const std::vector<uint8_t> wide(40000 * 3, 9);  // a 40,000-pixel-wide image
  tar.add("000003.png", encode_png(wide.data(), 40000, 1));
  tar.add("000003.txt", "sample 3");
  const convert::ShardSample good4 = index_sample(4);
  tar.add("000004.png", good4.members[0].second);
  tar.add("000004.txt", "");  // empty caption
  tar.add("000005.png", good4.members[0].second);
  tar.add("000005.txt", " \n\t ");  // blank caption
  tar.add("000006.png", good4.members[0].second);
  tar.add("000006.txt", "caf\xe9 \xff\xfe");          // Latin-1, not UTF-8
  tar.add("../000007.png", good4.members[0].second);  // escapes the directory
  tar.add("../000007.txt", "sample 7");
  tar.add("/etc/000008.png", good4.members[0].second);  // absolute
  tar.add("/etc/000008.txt", "sample 8");
  tar.add("000009.png", good4.members[0].second);  // no caption
  add(index_sample(10));
  tar.close();

  const ShardSource source = open_shards(dir.file("shard.tar"));
  const SkipCounts excluded = source.excluded();
  EXPECT_EQ(excluded[SkipReason::kNoImage], 1u);
  EXPECT_EQ(excluded[SkipReason::kUnsafeName], 2u);
  EXPECT_EQ(excluded[SkipReason::kNoCaption], 1u);
  EXPECT_EQ(excluded.total(), 4u);
  ASSERT_EQ(source.size(), 7u);  // samples 0, 2, 3, 4, 5, 6, 10
  EXPECT_EQ(pixel_index(source.get(0).pixels.data()), 0u);
  expect_bad(source, 1, SkipReason::kBadImage, "000002.jpg");
  expect_bad(source, 2, SkipReason::kImageTooLarge, "000003.png");
  expect_bad(source, 3, SkipReason::kBadCaption, "000004.txt");
  expect_bad(source, 4, SkipReason::kBadCaption, "000005.txt");
  expect_bad(source, 5, SkipReason::kBadCaption, "000006.txt");
  EXPECT_EQ(source.get(6).caption, "sample 10");
  EXPECT_THROW(source.get_augmented(1, 5), BadSampleError);
}

TEST(ShardSource, ATruncatedShardKeepsItsCompleteSamples) {
  ScratchDir dir;
  testing::write_index_shards(dir.path().string(), 10, 10);
  const std::string shard = dir.file("00000.tar");
  const TarIndex index = build_tar_index(shard);
  std::filesystem::resize_file(shard, index.members[6 * 3].offset + 10);  // inside sample 6's image
  const ShardSource source = open_shards(shard);
  EXPECT_EQ(source.size(), 6u);
  EXPECT_EQ(source.excluded()[SkipReason::kTruncated], 1u);
  for (uint64_t i = 0; i < source.size(); ++i) EXPECT_EQ(pixel_index(source.get(i).pixels.data()), i);
}

TEST(ShardSource, AShardCutAfterIndexingFailsTheSampleNotTheProcess) {
  ScratchDir dir;
  testing::write_index_shards(dir.path().string(), 10, 10);
  const std::string shard = dir.file("00000.tar");
  const ShardSource source = open_shards(shard);
  std::filesystem::resize_file(shard, 1024);
  try {
    source.get(9);
    ADD_FAILURE() << "read past the end of the shard";
  } catch (const BadSampleError& e) {
    EXPECT_EQ(e.reason(), SkipReason::kTruncated);
  }
}

TEST(ShardSource, TheTrainViewIsARandomCropDrawnFromTheSeed) {
  ScratchDir dir;
  convert::TarWriter tar(dir.file("shard.tar"));
  std::vector<uint8_t> rgb(64 * 48 * 3);
  for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<uint8_t>((i * 7919) % 253);
  tar.add("a.png", encode_png(rgb.data(), 64, 48));
  tar.add("a.txt", "noise");
  tar.close();
  const ShardSource source = open_shards(dir.file("shard.tar"), 16);
  const Example eval1 = source.get(0), eval2 = source.get(0);
  EXPECT_EQ(eval1.pixels, eval2.pixels);
  EXPECT_EQ(eval1.pixels.size(), 16u * 16u * 3u);
  EXPECT_EQ(source.get_augmented(0, 11).pixels, source.get_augmented(0, 11).pixels);
  EXPECT_NE(source.get_augmented(0, 11).pixels, source.get_augmented(0, 12).pixels);
}

TEST(ShardSource, OpenSourceAcceptsShardPatternsAndChecksThem) {
  ScratchDir dir;
  testing::write_index_shards(dir.path().string(), 12, 5);
  SourceOptions options;
  options.spec = "shards:" + dir.file("{00000..00002}.tar");
  options.image_size = 8;
  const auto source = open_source(options);
  EXPECT_EQ(source->size(), 12u);
  EXPECT_NE(source->describe().find("3 shards, 12 samples"), std::string::npos) << source->describe();
  options.pool_size = 7;  // caps the pool to its first samples
  EXPECT_EQ(open_source(options)->size(), 7u);
  EXPECT_FALSE(spec::check_source_spec(options.spec).has_value());
  EXPECT_FALSE(spec::check_source_spec("synth:shapes").has_value());
  EXPECT_TRUE(spec::check_source_spec("shards:" + dir.file("{00000..00003}.tar")).has_value());  // 00003 is missing
  EXPECT_TRUE(spec::check_source_spec("laion:400m").has_value());
  EXPECT_TRUE(spec::check_source_spec("shards:" + dir.file("{0..")).has_value());
  options.spec = "shards:" + dir.file("missing.tar");
  EXPECT_THROW(open_source(options), core::UserError);
}

TEST(ShardSource, APoolWithoutUsableSamplesIsAUserError) {
  ScratchDir dir;
  convert::TarWriter tar(dir.file("shard.tar"));
  tar.add("readme.md", "nothing here");
  tar.close();
  EXPECT_THROW(open_shards(dir.file("shard.tar")), core::UserError);
}

}  // namespace
}  // namespace clipscale::data
