#include "spec/shard_pattern.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "core/error.h"

namespace clipscale::spec {
namespace {

using Paths = std::vector<std::string>;

TEST(ShardPattern, ZeroPaddedRangeKeepsTheWidthOfItsStart) {
  EXPECT_EQ(expand_shard_pattern("pool/{00000..00002}.tar", "data.source"),
            (Paths{"pool/00000.tar", "pool/00001.tar", "pool/00002.tar"}));
  EXPECT_EQ(expand_shard_pattern("p{8..11}.tar", "x"), (Paths{"p8.tar", "p9.tar", "p10.tar", "p11.tar"}));
  EXPECT_EQ(expand_shard_pattern("p{08..11}.tar", "x"), (Paths{"p08.tar", "p09.tar", "p10.tar", "p11.tar"}));
}

TEST(ShardPattern, ListsAndSeveralGroupsExpandLeftmostSlowest) {
  EXPECT_EQ(expand_shard_pattern("{a,b}-{0..1}.tar", "x"), (Paths{"a-0.tar", "a-1.tar", "b-0.tar", "b-1.tar"}));
}

TEST(ShardPattern, DoubleColonConcatenatesPatterns) {
  EXPECT_EQ(expand_shard_pattern("a/{0..1}.tar::b/x.tar", "x"), (Paths{"a/0.tar", "a/1.tar", "b/x.tar"}));
}

TEST(ShardPattern, EnvironmentVariablesWithDefaults) {
  ::setenv("CLIPSCALE_TEST_SHARDS", "/data", 1);
  EXPECT_EQ(expand_shard_pattern("${CLIPSCALE_TEST_SHARDS}/{0..1}.tar", "x"), (Paths{"/data/0.tar", "/data/1.tar"}));
  ::unsetenv("CLIPSCALE_TEST_SHARDS");
  EXPECT_EQ(expand_environment("${CLIPSCALE_TEST_SHARDS:-results/data}/p.tar", "x"), "results/data/p.tar");
  EXPECT_THROW(expand_environment("${CLIPSCALE_TEST_SHARDS}/p.tar", "x"), core::UserError);
}

TEST(ShardPattern, MalformedPatternsAreUserErrorsNamingTheKey) {
  for (const char* bad : {"p{0..", "p}0.tar", "p{{0..1}}.tar", "p{3..1}.tar", "p{a..b}.tar", "p{x}.tar", "${X"}) {
    try {
      expand_shard_pattern(bad, "data.source");
      ADD_FAILURE() << bad << " was accepted";
    } catch (const core::UserError& e) {
      EXPECT_NE(std::string(e.what()).find("data.source"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("HINT"), std::string::npos) << e.what();
    }
  }
}

TEST(ShardPattern, HugeExpansionsAreRefused) {
  EXPECT_THROW(expand_shard_pattern("{0..99999}{0..999}.tar", "x"), core::UserError);
}

}  // namespace
}  // namespace clipscale::spec
