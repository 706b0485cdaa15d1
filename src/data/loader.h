// The training loader: which samples a step sees, in a fixed, resumable order.
//
// Sampling (DESIGN.md "Data"): data_size D takes the first D entries of a seeded permutation of
// the pool, so smaller data sizes are subsets of larger ones. Training draws the D-subset epoch
// by epoch, each epoch a new seeded permutation. Global sample k (k = 0, 1, ...) is
//   epoch e = k / D, j = k mod D, pool index = subset(epoch_perm_e(j)).
// Global batch b covers k in [b·G, (b+1)·G); rank r takes the disjoint slice
// [b·G + r·B, b·G + (r+1)·B) with B = G / world. The loader's whole state is the next k, so a
// checkpoint stores one integer. A background thread decodes and tokenises the next batches.
#pragma once

#include <ATen/core/Tensor.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/hash.h"
#include "data/sample_source.h"

namespace clipscale::text {
class BpeTokenizer;
}

namespace clipscale::data {

struct LoaderOptions {
  uint64_t data_size = 0;          ///< D: unique samples used, <= pool size
  uint64_t seed = 0;               ///< data seed (subset and epoch order)
  int64_t global_batch_size = 256; ///< G
  int64_t rank = 0;
  int64_t world_size = 1;
  int64_t context_length = 77;
  int64_t prefetch_batches = 2;    ///< batches decoded ahead; 0 decodes on the caller's thread

  int64_t local_batch_size() const { return global_batch_size / world_size; }
  bool is_valid(std::string* error) const;
};

struct Batch {
  at::Tensor images;           ///< [B, 3, S, S] fp32, normalised
  at::Tensor tokens;           ///< [B, context_length] int64
  std::vector<uint64_t> ids;   ///< pool ids of the rows
  int64_t noisy = 0;           ///< rows whose caption is known to be noise
  uint64_t first_sample = 0;   ///< global sample index k of the batch's first row (of rank 0)
  double wait_seconds = 0;     ///< time the caller waited for this batch
};

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
  /// Pool index of global sample k (for tests and audits).
  uint64_t pool_index(uint64_t k) const;

 private:
  Batch build(uint64_t first_sample) const;
  void start_worker(uint64_t first_sample);
  void stop_worker();

  std::shared_ptr<const SampleSource> source_;
  std::shared_ptr<const text::BpeTokenizer> tokenizer_;
  LoaderOptions options_;
  core::Permutation subset_;
  uint64_t position_ = 0;

  std::thread worker_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Batch> ready_;
  bool stop_ = false;
  std::exception_ptr worker_error_;
};

/// Tokenises captions into a [N, context_length] int64 tensor.
at::Tensor tokenize_batch(const text::BpeTokenizer& tokenizer, const std::vector<std::string>& captions,
                          int64_t context_length);

}  // namespace clipscale::data
