// Hashing and deterministic randomness: SHA-256 for content ids (run ids, pool hashes), and
// counter-based mixing so that every sample, epoch and rank draws from its own stream.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace clipscale::core {

/// SHA-256 of `data`, as 64 lowercase hex digits.
std::string sha256_hex(std::string_view data);

/// SplitMix64 finaliser: a bijective 64-bit mix with full avalanche.
constexpr uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/// Combines a seed with any number of stream coordinates (sample id, epoch, rank, ...).
constexpr uint64_t hash_combine(uint64_t seed, uint64_t value) { return mix64(seed ^ mix64(value)); }

/// xoshiro256** generator; small, fast, and its 4-word state is trivially checkpointed.
class Rng {
 public:
  explicit Rng(uint64_t seed);
  uint64_t next();
  /// Uniform integer in [0, n); n > 0.
  uint64_t uniform_int(uint64_t n);
  /// Uniform double in [0, 1).
  double uniform();
  /// Uniform double in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// True with probability p.
  bool bernoulli(double p) { return uniform() < p; }

  std::array<uint64_t, 4> state() const { return s_; }
  void set_state(const std::array<uint64_t, 4>& s) { s_ = s; }

 private:
  std::array<uint64_t, 4> s_{};
};

/// A seeded bijection of [0, n) with O(1) memory and random access: a 4-round Feistel network on
/// the smallest even-bit domain covering n, with cycle walking. Used for pool subsets (the first D
/// entries of one permutation, so smaller data sizes nest in larger ones) and per-epoch shuffles.
class Permutation {
 public:
  Permutation(uint64_t n, uint64_t seed);
  uint64_t size() const { return n_; }
  /// The element at position i (i < size()).
  uint64_t operator()(uint64_t i) const;

 private:
  uint64_t encrypt(uint64_t x) const;
  uint64_t n_;
  uint64_t half_bits_;
  uint64_t half_mask_;
  std::array<uint64_t, 4> keys_{};
};

}  // namespace clipscale::core
