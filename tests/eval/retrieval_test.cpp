#include "eval/retrieval.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace clipscale::eval {
namespace {

TEST(Retrieval, PerfectAlignmentGivesFullRecall) {
  torch::manual_seed(0);
  auto x = torch::randn({20, 8});
  x = x / x.norm(2, 1, true);
  const auto r = retrieval_recall(x, x, torch::arange(20));
  EXPECT_DOUBLE_EQ(r.image_to_text_r1, 1.0);
  EXPECT_DOUBLE_EQ(r.text_to_image_r1, 1.0);
}

TEST(Retrieval, HandComputedRanks) {
  // 3 pairs in 2-D. Image 0 is closest to text 1, then text 0: rank 1 for i2t query 0.
  auto images = torch::tensor({{1.0f, 0.0f}, {0.0f, 1.0f}, {-1.0f, 0.0f}});
  auto texts = torch::tensor({{0.8f, 0.6f}, {0.9f, 0.43589f}, {-1.0f, 0.0f}});
  const auto r = retrieval_recall(images, texts, torch::arange(3));
  // i2t: query 0 -> text 1 (0.9) beats text 0 (0.8): miss at 1; query 1 -> text 0 (0.6) beats
  // text 1 (0.436): miss; query 2 -> text 2 (1.0): hit.
  EXPECT_NEAR(r.image_to_text_r1, 1.0 / 3.0, 1e-9);
  EXPECT_NEAR(r.image_to_text_r5, 1.0, 1e-9);
  // t2i: text 0 -> image 0 (0.8) vs image 1 (0.6): hit; text 1 -> image 0 (0.9) vs image 1
  // (0.436): miss; text 2 -> image 2: hit.
  EXPECT_NEAR(r.text_to_image_r1, 2.0 / 3.0, 1e-9);
}

TEST(Retrieval, AnyMemberOfTheGroupIsAHit) {
  // Texts 0 and 1 are the same caption (one group). Image 0 retrieves text 1 first: a hit.
  auto images = torch::tensor({{1.0f, 0.0f}, {0.0f, 1.0f}});
  auto texts = torch::tensor({{0.8f, 0.6f}, {1.0f, 0.0f}});
  const auto grouped = retrieval_recall(images, texts, torch::tensor({0, 0}, torch::kLong));
  EXPECT_DOUBLE_EQ(grouped.image_to_text_r1, 1.0);
  const auto separate = retrieval_recall(images, texts, torch::tensor({0, 1}, torch::kLong));
  EXPECT_DOUBLE_EQ(separate.image_to_text_r1, 0.0);
}

TEST(Retrieval, TiesRankAgainstTheQuery) {
  auto images = torch::tensor({{1.0f, 0.0f}, {1.0f, 0.0f}});
  auto texts = torch::tensor({{1.0f, 0.0f}, {1.0f, 0.0f}});
  const auto r = retrieval_recall(images, texts, torch::arange(2));
  EXPECT_DOUBLE_EQ(r.image_to_text_r1, 0.0) << "an exact tie with a negative is not a top-1 hit";
  EXPECT_DOUBLE_EQ(r.image_to_text_r5, 1.0);
}

}  // namespace
}  // namespace clipscale::eval
