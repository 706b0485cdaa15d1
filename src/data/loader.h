// The training loader: which samples a step sees, in a fixed, resumable order.
//
// Sampling: data_size D takes the first D entries of a seeded permutation of
// the pool, so smaller data sizes are subsets of larger ones. Training draws the D-subset epoch
// by epoch, each epoch a new seeded permutation. Global sample k (k = 0, 1, ...) is
//   epoch e = k / D, j = k mod D, pool index = subset(epoch_perm_e(j)).
// Global batch b covers k in [b·G, (b+1)·G); rank r takes the disjoint slice
// [b·G + r·B, b·G + (r+1)·B) with B = G / world. The loader's whole state is the next k, so a
// checkpoint stores one integer.
//
// Augmentation: sample k is read with SampleSource::get_augmented(pool index, augment seed) where
// the seed is a pure function of (data seed, k), so every rank, worker count and resume sees the
// same pixels.
//
// Bad samples: when a source throws BadSampleError for sample k, the loader counts it by reason
// (once per k; a substitute that is bad too is logged, not counted) and reads a substitute:
// attempt a = 1, 2, ... reads subset position hash(data seed, k, a) mod D, until one is usable
// (at most kMaxReplacementAttempts). The substitute depends only on (data seed, k), so every rank
// and resume makes the same choice, and it stays inside the D-subset.
//
// Threads: `workers` threads build whole batches (decode, augment, normalise, tokenise), at most
// `prefetch_batches` ahead of the caller; next() returns them in order, so the output does not
// depend on the number of workers.
#pragma once

#include <ATen/core/Tensor.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/hash.h"
#include "data/bad_sample.h"
#include "data/sample_source.h"

namespace clipscale::text {
class BpeTokenizer;
}

namespace clipscale::data {

struct LoaderOptions {
  uint64_t data_size = 0;           ///< D: unique samples used, <= pool size
  uint64_t seed = 0;                ///< data seed (subset and epoch order)
  int64_t global_batch_size = 256;  ///< G
  int64_t rank = 0;
  int64_t world_size = 1;
  int64_t context_length = 77;
  int64_t prefetch_batches = 2;  ///< batches decoded ahead; 0 decodes on the caller's thread
  int64_t workers = 1;           ///< threads building batches when prefetch_batches > 0

  int64_t local_batch_size() const { return global_batch_size / world_size; }
  bool is_valid(std::string* error) const;
};

struct Batch {
  at::Tensor images;          ///< [B, 3, S, S] fp32, normalised
  at::Tensor tokens;          ///< [B, context_length] int64
  std::vector<uint64_t> ids;  ///< pool ids of the rows
  int64_t noisy = 0;          ///< rows whose caption is known to be noise
  uint64_t first_sample = 0;  ///< global sample index k of the batch's first row (of rank 0)
  double wait_seconds = 0;    ///< time the caller waited for this batch
  SkipCounts replaced;        ///< samples of this rank's slice that were bad and replaced, by reason
};

/// Tries for a usable substitute of one bad sample before the loader gives up (core::UserError).
inline constexpr int kMaxReplacementAttempts = 64;

class Loader {
 public:
  Loader(std::shared_ptr<const SampleSource> source, std::shared_ptr<const text::BpeTokenizer> tokenizer,
         LoaderOptions options, uint64_t start_sample = 0);
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  /// The next global batch's slice for this rank.
  Batch next();
  /// Global index k of the next batch's first sample (what a checkpoint records).
  uint64_t position() const { return position_; }
  /// Pool index of global sample k (for tests and audits), before any replacement.
  uint64_t pool_index(uint64_t k) const;
  /// Bad samples replaced in the batches next() has returned (this rank's slices), by reason.
  const SkipCounts& replaced() const { return replaced_; }

 private:
  /// A built batch, or the exception building it threw.
  struct Slot {
    Batch batch;
    std::exception_ptr error;
  };

  Batch build(uint64_t first_sample) const;
  Example load(uint64_t k, SkipCounts& replaced) const;
  void start_workers();
  void stop_workers();
  void work();

  std::shared_ptr<const SampleSource> source_;
  std::shared_ptr<const text::BpeTokenizer> tokenizer_;
  LoaderOptions options_;
  core::Permutation subset_;
  uint64_t start_sample_ = 0;
  uint64_t position_ = 0;
  SkipCounts replaced_;
  mutable std::atomic<uint64_t> warnings_{0};

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable cv_;
  uint64_t next_to_build_ = 0;   ///< batch number (from start_sample_) the next free worker takes
  uint64_t next_to_return_ = 0;  ///< batch number next() returns
  std::map<uint64_t, Slot> ready_;
  bool stop_ = false;
};

/// Tokenises captions into a [N, context_length] int64 tensor.
at::Tensor tokenize_batch(const text::BpeTokenizer& tokenizer, const std::vector<std::string>& captions,
                          int64_t context_length);

}  // namespace clipscale::data
