#include "config/source.h"

#include <gtest/gtest.h>

namespace clipscale::config {
namespace {

TEST(Source, DescribesFileAndLine) {
  EXPECT_EQ(Source::from_file("experiments/runs/q.toml", 14).describe(), "experiments/runs/q.toml:14");
  EXPECT_EQ(Source::from_file("q.toml", 0).describe(), "q.toml");
}

TEST(Source, DescribesOverrideWithItsText) {
  EXPECT_EQ(Source::from_override("optim.lr=1e-3").describe(), "--set optim.lr=1e-3");
  EXPECT_EQ(Source::from_override("").describe(), "--set");
}

TEST(Source, DescribesDefault) {
  EXPECT_EQ(Source::from_default().describe(), "default");
  EXPECT_EQ(Source{}.kind, Source::Kind::kDefault);
}

TEST(Source, EqualityComparesEveryField) {
  EXPECT_EQ(Source::from_file("a.toml", 3), Source::from_file("a.toml", 3));
  EXPECT_NE(Source::from_file("a.toml", 3), Source::from_file("a.toml", 4));
  EXPECT_NE(Source::from_override("x=1"), Source::from_override("x=2"));
  EXPECT_NE(Source::from_default(), Source::from_override(""));
}

}  // namespace
}  // namespace clipscale::config
