#include "eval/zero_shot.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace clipscale::eval {
namespace {

TEST(ZeroShot, ClassifierIsTheRenormalisedTemplateMean) {
  // Class 0: templates (1, 0) and (0, 1) -> mean (0.5, 0.5) -> (0.7071, 0.7071).
  auto text = torch::tensor({{{1.0f, 0.0f}, {0.0f, 1.0f}}, {{-1.0f, 0.0f}, {-1.0f, 0.0f}}});
  auto classifier = build_zero_shot_classifier(text);
  ASSERT_EQ(classifier.sizes(), (std::vector<int64_t>{2, 2}));
  EXPECT_NEAR(classifier[0][0].item<float>(), 0.70710678f, 1e-6);
  EXPECT_NEAR(classifier[1][0].item<float>(), 0.70710678f, 1e-6);
  EXPECT_NEAR(classifier[0][1].item<float>(), -1.0f, 1e-6);
}

TEST(ZeroShot, CountsTop1AndTop5Hits) {
  // 7 classes on the axes of R^7; image i points at class (i mod 7) except the last, which
  // points mostly at class 1 with its true class 0 ranked second.
  auto classifier = torch::eye(7);
  auto images = torch::eye(7).index({torch::indexing::Slice(0, 4)});
  auto last = torch::tensor({{0.6f, 0.8f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f}});
  images = torch::cat({images, last});
  auto labels = torch::tensor({0, 1, 2, 3, 0}, torch::kLong);
  const auto r = zero_shot_accuracy(images, classifier, labels);
  EXPECT_DOUBLE_EQ(r.top1, 4.0 / 5.0);
  EXPECT_DOUBLE_EQ(r.top5, 1.0);
}

TEST(ZeroShot, Top5MissesWhenTheTrueClassRanksSixth) {
  auto classifier = torch::eye(8);
  auto image = torch::tensor({{0.0f, 6.0f, 5.0f, 4.0f, 3.0f, 2.0f, 1.0f, 0.5f}});  // class 0 has the lowest score
  const auto r = zero_shot_accuracy(image / image.norm(), classifier, torch::tensor({0}, torch::kLong));
  EXPECT_EQ(r.top1, 0.0);
  EXPECT_EQ(r.top5, 0.0);
}

}  // namespace
}  // namespace clipscale::eval
