#include "config/did_you_mean.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace clipscale::config {
namespace {

TEST(EditDistance, CountsInsertionsDeletionsSubstitutionsAndTranspositions) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("optim.lrr", "optim.lr"), 1u);
  EXPECT_EQ(edit_distance("optim.rl", "optim.lr"), 1u);  // one transposition, not two substitutions
  EXPECT_EQ(edit_distance("ca", "abc"), 3u);             // optimal string alignment, not full Damerau
}

TEST(EditDistance, IsSymmetric) {
  const std::vector<std::string> words = {"", "a", "lr", "optim.lr", "optim.weight_decay", "train.steps"};
  for (const auto& a : words) {
    for (const auto& b : words) EXPECT_EQ(edit_distance(a, b), edit_distance(b, a)) << a << " / " << b;
  }
}

TEST(DidYouMean, SuggestsTheClosestCandidate) {
  const std::vector<std::string> keys = {"optim.lr", "optim.weight_decay", "train.steps"};
  EXPECT_EQ(did_you_mean("optim.lrr", keys), "optim.lr");
  EXPECT_EQ(did_you_mean("optim.wieght_decay", keys), "optim.weight_decay");
  EXPECT_EQ(did_you_mean("OPTIM.LR", keys), "optim.lr");  // ASCII case ignored
}

TEST(DidYouMean, SuggestsNothingWhenNothingIsClose) {
  const std::vector<std::string> keys = {"optim.lr", "optim.weight_decay"};
  EXPECT_EQ(did_you_mean("optim.momentum", keys), std::nullopt);
  EXPECT_EQ(did_you_mean("optim.lr", keys), std::nullopt);  // an exact match is not a typo
  EXPECT_EQ(did_you_mean("x", {}), std::nullopt);
}

TEST(DidYouMean, TiesGoToTheEarlierCandidate) {
  EXPECT_EQ(did_you_mean("ab", {"ac", "ad"}), "ac");
  EXPECT_EQ(did_you_mean("ab", {"ad", "ac"}), "ad");
}

TEST(ClosestKey, FindsTheSameNameInAnotherSection) {
  const std::vector<std::string> keys = {"optim.lr", "train.global_batch_size", "data.source"};
  EXPECT_EQ(closest_key("optim.global_batch_size", keys), "train.global_batch_size");
  EXPECT_EQ(closest_key("optim.lrr", keys), "optim.lr");
  EXPECT_EQ(closest_key("optim.momentum", keys), std::nullopt);
}

TEST(ClosestKey, SuggestsNothingWhenTheNameIsInSeveralSections) {
  EXPECT_EQ(closest_key("model.width", {"vision.width", "text.width"}), std::nullopt);
  EXPECT_EQ(closest_key("model.width", {"vision.width", "text.depth"}), "vision.width");
}

}  // namespace
}  // namespace clipscale::config
