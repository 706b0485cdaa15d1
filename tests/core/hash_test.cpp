#include "core/hash.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace clipscale::core {

TEST(Sha256, MatchesKnownDigests) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Permutation, IsABijectionForManySizes) {
  for (uint64_t n : {1u, 2u, 3u, 7u, 64u, 1000u, 4097u}) {
    Permutation perm(n, 42);
    std::set<uint64_t> seen;
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t v = perm(i);
      ASSERT_LT(v, n);
      seen.insert(v);
    }
    EXPECT_EQ(seen.size(), n) << "n = " << n;
  }
}

TEST(Permutation, DependsOnSeedAndIsReproducible) {
  Permutation a(1000, 1), b(1000, 1), c(1000, 2);
  int differ = 0;
  for (uint64_t i = 0; i < 1000; ++i) {
    EXPECT_EQ(a(i), b(i));
    differ += a(i) != c(i);
  }
  EXPECT_GT(differ, 900);
}

TEST(Rng, UniformIntIsInRangeAndRoughlyUniform) {
  Rng rng(7);
  std::vector<int> counts(6, 0);
  for (int i = 0; i < 60000; ++i) counts[rng.uniform_int(6)]++;
  for (int c : counts) EXPECT_NEAR(c, 10000, 400);
}

TEST(Rng, StateRoundTripsExactly) {
  Rng a(3);
  for (int i = 0; i < 10; ++i) a.next();
  Rng b(99);
  b.set_state(a.state());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a.next(), b.next());
}

}  // namespace clipscale::core
