// The loader over tar shards: exact epoch coverage across ranks and workers, nested data sizes,
// exact resume, and deterministic replacement of bad samples.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>
#include <set>

#include "data/loader.h"
#include "data/sample_source.h"
#include "shard_fixtures.h"
#include "support/scratch_dir.h"
#include "text/bpe_tokenizer.h"
#include "text/bpe_trainer.h"

namespace clipscale::data {
namespace {

using clipscale::testing::ScratchDir;

class ShardLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pattern_ = testing::write_index_shards(dir_.path().string(), kPool, 37);
    tokenizer_ = std::make_shared<text::BpeTokenizer>(text::train_bpe({"sample 1 2 3 4 5 6 7 8 9 0"}, 600));
  }

  std::shared_ptr<const SampleSource> open(const std::string& pattern) const {
    SourceOptions options;
    options.spec = "shards:" + pattern;
    options.image_size = 8;
    return open_source(options);
  }

  LoaderOptions options(uint64_t data_size, int64_t batch, int64_t rank = 0, int64_t world = 1,
                        int64_t workers = 1) const {
    LoaderOptions o;
    o.data_size = data_size;
    o.seed = 5;
    o.global_batch_size = batch;
    o.rank = rank;
    o.world_size = world;
    o.context_length = 8;
    o.workers = workers;
    o.prefetch_batches = workers > 1 ? 3 : 2;
    return o;
  }

  static constexpr int64_t kPool = 200;
  ScratchDir dir_;
  std::string pattern_;
  std::shared_ptr<const text::BpeTokenizer> tokenizer_;
};

TEST_F(ShardLoaderTest, EachEpochCoversTheSubsetOnceAcrossRanksAndWorkers) {
  const auto source = open(pattern_);
  constexpr uint64_t kD = 90;
  constexpr int64_t kBatch = 12;  // does not divide D: batches straddle epochs
  for (int64_t world : {2, 3, 4}) {
    for (int64_t workers : {1, 3}) {
      std::vector<std::unique_ptr<Loader>> ranks;
      for (int64_t r = 0; r < world; ++r)
        ranks.push_back(std::make_unique<Loader>(source, tokenizer_, options(kD, kBatch, r, world, workers)));
      std::set<uint64_t> subset;
      for (uint64_t k = 0; k < kD; ++k) subset.insert(ranks[0]->pool_index(k));
      ASSERT_EQ(subset.size(), kD);
      std::vector<uint64_t> stream;   // global sample order k = 0, 1, ...
      for (int b = 0; b < 23; ++b) {  // 276 samples: three epochs and a bit
        for (auto& loader : ranks) {
          const Batch batch = loader->next();
          ASSERT_EQ(batch.ids.size(), static_cast<size_t>(kBatch / world));
          for (size_t i = 0; i < batch.ids.size(); ++i) {
            ASSERT_EQ(testing::tensor_index(batch.images, static_cast<int64_t>(i)), batch.ids[i])
                << "pixels of another sample";
            stream.push_back(batch.ids[i]);
          }
        }
      }
      for (int epoch = 0; epoch < 3; ++epoch) {
        const std::multiset<uint64_t> seen(stream.begin() + epoch * kD, stream.begin() + (epoch + 1) * kD);
        EXPECT_EQ(seen, std::multiset<uint64_t>(subset.begin(), subset.end()))
            << "world " << world << " workers " << workers << " epoch " << epoch;
      }
    }
  }
}

TEST_F(ShardLoaderTest, SmallerDataSizesAreSubsetsOfLargerOnes) {
  const auto source = open(pattern_);
  Loader small(source, tokenizer_, options(50, 10)), large(source, tokenizer_, options(150, 10));
  std::set<uint64_t> small_ids, large_ids;
  for (uint64_t k = 0; k < 50; ++k) small_ids.insert(small.pool_index(k));
  for (uint64_t k = 0; k < 150; ++k) large_ids.insert(large.pool_index(k));
  EXPECT_EQ(small_ids.size(), 50u);
  for (uint64_t id : small_ids) EXPECT_TRUE(large_ids.count(id)) << id;
}

TEST_F(ShardLoaderTest, RestoringThePositionMidEpochContinuesWithTheSameSamplesAndPixels) {
  // Gradient images so the random crops differ visibly from sample to sample.
  ScratchDir dir;
  convert::ShardWriter writer(dir.path().string(), 16);
  for (int i = 0; i < 60; ++i) {
    std::vector<uint8_t> rgb(40 * 30 * 3);
    for (size_t p = 0; p < rgb.size(); ++p) rgb[p] = static_cast<uint8_t>((p * 31 + static_cast<size_t>(i) * 17) % 256);
    writer.write(
        {fmt::format("{:04d}", i), {{"png", encode_png(rgb.data(), 40, 30)}, {"txt", "sample " + std::to_string(i)}}});
  }
  const auto source = open(writer.finish());
  Loader uninterrupted(source, tokenizer_, options(50, 8, 0, 1, 2));
  for (int b = 0; b < 3; ++b) uninterrupted.next();
  const uint64_t position = uninterrupted.position();
  ASSERT_EQ(position, 24u);                                               // mid-epoch (D = 50)
  Loader resumed(source, tokenizer_, options(50, 8, 0, 1, 3), position);  // another worker count
  for (int b = 0; b < 8; ++b) {
    const Batch x = uninterrupted.next(), y = resumed.next();
    EXPECT_EQ(x.ids, y.ids);
    EXPECT_TRUE(torch::equal(x.images, y.images)) << "batch " << b;
    EXPECT_TRUE(torch::equal(x.tokens, y.tokens));
  }
  // Different global samples of one pool sample get different crops.
  Loader again(source, tokenizer_, options(50, 50));
  const Batch epoch0 = again.next(), epoch1 = again.next();
  std::map<uint64_t, at::Tensor> first;
  for (size_t i = 0; i < epoch0.ids.size(); ++i) first[epoch0.ids[i]] = epoch0.images[static_cast<int64_t>(i)];
  int differ = 0;
  for (size_t i = 0; i < epoch1.ids.size(); ++i)
    differ += !torch::equal(first.at(epoch1.ids[i]), epoch1.images[static_cast<int64_t>(i)]);
  EXPECT_GT(differ, 40);
}

TEST_F(ShardLoaderTest, BadSamplesAreReplacedTheSameWayOnEveryRankAndWorkerCount) {
  ScratchDir dir;
  convert::ShardWriter writer(dir.path().string(), 25);
  std::set<uint64_t> bad;
  for (int64_t i = 0; i < 100; ++i) {
    convert::ShardSample sample = testing::index_sample(static_cast<uint64_t>(i));
    if (i % 10 == 3) {
      sample.members[0].second = "not an image";
      bad.insert(static_cast<uint64_t>(i));
    } else if (i % 10 == 7) {
      sample.members[1].second = "\xff\xfe";
      bad.insert(static_cast<uint64_t>(i));
    }
    writer.write(sample);
  }
  const auto source = open(writer.finish());
  Loader whole(source, tokenizer_, options(80, 16, 0, 1, 1));
  Loader rank0(source, tokenizer_, options(80, 16, 0, 2, 3)), rank1(source, tokenizer_, options(80, 16, 1, 2, 2));
  uint64_t expected_bad = 0;
  for (int b = 0; b < 15; ++b) {  // three epochs
    const Batch all = whole.next(), r0 = rank0.next(), r1 = rank1.next();
    std::vector<uint64_t> joined = r0.ids;
    joined.insert(joined.end(), r1.ids.begin(), r1.ids.end());
    EXPECT_EQ(joined, all.ids);
    EXPECT_TRUE(torch::equal(torch::cat({r0.images, r1.images}), all.images));
    for (int64_t i = 0; i < 16; ++i) {
      const uint64_t k = static_cast<uint64_t>(b * 16 + i);
      expected_bad += bad.count(whole.pool_index(k));
      EXPECT_EQ(bad.count(all.ids[static_cast<size_t>(i)]), 0u) << "a bad sample reached the batch";
      EXPECT_EQ(testing::tensor_index(all.images, i), all.ids[static_cast<size_t>(i)]);
    }
  }
  EXPECT_GT(expected_bad, 0u);
  EXPECT_EQ(whole.replaced().total(), expected_bad);
  EXPECT_EQ(rank0.replaced().total() + rank1.replaced().total(), expected_bad);
  EXPECT_EQ(whole.replaced()[SkipReason::kBadImage] + whole.replaced()[SkipReason::kBadCaption], expected_bad);
  EXPECT_GT(whole.replaced()[SkipReason::kBadImage], 0u);
  EXPECT_GT(whole.replaced()[SkipReason::kBadCaption], 0u);
}

TEST_F(ShardLoaderTest, APoolOfOnlyBadSamplesStopsWithAUserError) {
  ScratchDir dir;
  convert::ShardWriter writer(dir.path().string(), 25);
  for (int64_t i = 0; i < 10; ++i) {
    convert::ShardSample sample = testing::index_sample(static_cast<uint64_t>(i));
    sample.members[0].second = "junk";
    writer.write(sample);
  }
  const auto source = open(writer.finish());
  Loader loader(source, tokenizer_, options(10, 2));
  EXPECT_THROW(loader.next(), core::UserError);
}

}  // namespace
}  // namespace clipscale::data
