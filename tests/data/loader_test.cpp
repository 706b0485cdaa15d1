#include "data/loader.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>

#include "core/error.h"
#include "data/sample_source.h"
#include "text/bpe_tokenizer.h"
#include "text/bpe_trainer.h"

namespace clipscale::data {
namespace {

class LoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SourceOptions options;
    options.image_size = 16;
    options.pool_size = 5000;
    source_ = open_source(options);
    tokenizer_ = std::make_shared<text::BpeTokenizer>(
        text::train_bpe({"a red circle", "two blue squares", "a green triangle on a gray background"}, 600));
  }

  LoaderOptions options(uint64_t data_size, int64_t batch, int64_t rank = 0, int64_t world = 1) const {
    LoaderOptions o;
    o.data_size = data_size;
    o.seed = 11;
    o.global_batch_size = batch;
    o.rank = rank;
    o.world_size = world;
    o.context_length = 12;
    return o;
  }

  std::shared_ptr<const SampleSource> source_;
  std::shared_ptr<const text::BpeTokenizer> tokenizer_;
};

TEST_F(LoaderTest, EachEpochVisitsTheDSubsetExactlyOnce) {
  // G = 16 does not divide D = 100, so batches straddle epoch boundaries.
  Loader loader(source_, tokenizer_, options(100, 16));
  std::set<uint64_t> subset;
  for (uint64_t k = 0; k < 100; ++k) subset.insert(loader.pool_index(k));
  ASSERT_EQ(subset.size(), 100u);
  std::vector<uint64_t> stream;
  for (int b = 0; b < 25; ++b)
    for (uint64_t id : loader.next().ids) stream.push_back(id);
  for (int epoch = 0; epoch < 4; ++epoch) {
    const std::set<uint64_t> seen(stream.begin() + epoch * 100, stream.begin() + (epoch + 1) * 100);
    EXPECT_EQ(seen, subset) << "epoch " << epoch;
  }
}

TEST_F(LoaderTest, SmallerDataSizesAreSubsetsOfLargerOnes) {
  Loader small(source_, tokenizer_, options(100, 10), 0);
  Loader large(source_, tokenizer_, options(400, 10), 0);
  std::set<uint64_t> small_ids, large_ids;
  for (uint64_t k = 0; k < 100; ++k) small_ids.insert(small.pool_index(k));
  for (uint64_t k = 0; k < 400; ++k) large_ids.insert(large.pool_index(k));
  for (uint64_t id : small_ids) EXPECT_TRUE(large_ids.count(id)) << id;
}

TEST_F(LoaderTest, EpochsUseDifferentOrders) {
  Loader loader(source_, tokenizer_, options(100, 10));
  int same = 0;
  for (uint64_t k = 0; k < 100; ++k) same += loader.pool_index(k) == loader.pool_index(100 + k);
  EXPECT_LT(same, 10);
}

TEST_F(LoaderTest, RanksGetDisjointSlicesThatTogetherFormTheGlobalBatch) {
  Loader whole(source_, tokenizer_, options(1000, 8));
  Loader rank0(source_, tokenizer_, options(1000, 8, 0, 2));
  Loader rank1(source_, tokenizer_, options(1000, 8, 1, 2));
  for (int b = 0; b < 130; ++b) {  // past the first epoch boundary (D = 1000, G = 8)
    const Batch all = whole.next(), r0 = rank0.next(), r1 = rank1.next();
    ASSERT_EQ(r0.ids.size(), 4u);
    std::vector<uint64_t> joined = r0.ids;
    joined.insert(joined.end(), r1.ids.begin(), r1.ids.end());
    EXPECT_EQ(joined, all.ids);
    EXPECT_TRUE(torch::equal(torch::cat({r0.images, r1.images}), all.images));
    EXPECT_TRUE(torch::equal(torch::cat({r0.tokens, r1.tokens}), all.tokens));
  }
}

TEST_F(LoaderTest, ResumingAtAPositionGivesTheSameBatches) {
  Loader uninterrupted(source_, tokenizer_, options(300, 16));
  for (int b = 0; b < 5; ++b) uninterrupted.next();
  const uint64_t position = uninterrupted.position();
  EXPECT_EQ(position, 80u);
  Loader resumed(source_, tokenizer_, options(300, 16), position);
  for (int b = 0; b < 4; ++b) {
    const Batch x = uninterrupted.next(), y = resumed.next();
    EXPECT_EQ(x.ids, y.ids);
    EXPECT_TRUE(torch::equal(x.images, y.images));
    EXPECT_TRUE(torch::equal(x.tokens, y.tokens));
  }
}

TEST_F(LoaderTest, PrefetchingDoesNotChangeTheBatches) {
  auto synchronous = options(200, 8);
  synchronous.prefetch_batches = 0;
  Loader a(source_, tokenizer_, synchronous);
  Loader b(source_, tokenizer_, options(200, 8));
  for (int i = 0; i < 4; ++i) {
    const Batch x = a.next(), y = b.next();
    EXPECT_EQ(x.ids, y.ids);
    EXPECT_TRUE(torch::equal(x.images, y.images));
    EXPECT_TRUE(torch::equal(x.tokens, y.tokens));
  }
}

/// A pool whose sample `bad` cannot be read, like a corrupt shard member.
class FailingSource final : public SampleSource {
 public:
  FailingSource(std::shared_ptr<const SampleSource> inner, uint64_t bad) : inner_(std::move(inner)), bad_(bad) {}
  uint64_t size() const override { return inner_->size(); }
  Example get(uint64_t index) const override {
    if (index == bad_) throw core::UserError("sample " + std::to_string(index) + " is corrupt. HINT: test");
    return inner_->get(index);
  }
  std::string describe() const override { return "failing"; }

 private:
  std::shared_ptr<const SampleSource> inner_;
  uint64_t bad_;
};

TEST_F(LoaderTest, AnErrorInThePrefetchThreadReachesTheCaller) {
  auto probe = options(100, 10);
  const uint64_t bad = Loader(source_, tokenizer_, probe).pool_index(25);  // in the third batch
  auto failing = std::make_shared<FailingSource>(source_, bad);
  Loader loader(failing, tokenizer_, probe);
  EXPECT_NO_THROW(loader.next());
  EXPECT_NO_THROW(loader.next());
  EXPECT_THROW(loader.next(), core::UserError);
}  // the destructor must join the stopped worker without hanging

TEST_F(LoaderTest, BatchesHaveModelShapes) {
  Loader loader(source_, tokenizer_, options(100, 6));
  const Batch batch = loader.next();
  EXPECT_EQ(batch.images.sizes(), (std::vector<int64_t>{6, 3, 16, 16}));
  EXPECT_EQ(batch.tokens.sizes(), (std::vector<int64_t>{6, 12}));
  EXPECT_EQ(batch.tokens.select(1, 0).eq(tokenizer_->sot_id()).all().item<bool>(), true);
}

TEST_F(LoaderTest, DataSizeAbovePoolSizeIsAUserError) {
  EXPECT_THROW(Loader(source_, tokenizer_, options(6000, 10)), core::UserError);
}

}  // namespace
}  // namespace clipscale::data
