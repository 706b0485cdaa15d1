#include "data/loader.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "core/error.h"
#include "core/timer.h"
#include "data/image_tensor.h"
#include "text/bpe_tokenizer.h"

namespace clipscale::data {
namespace {
constexpr uint64_t kSubsetSalt = 0x5b5e7;
constexpr uint64_t kEpochSalt = 0xe90c4;
constexpr uint64_t kAugmentSalt = 0xa06e7;
constexpr uint64_t kReplacementSalt = 0x4e91a;
/// Bad samples logged in full per loader; the rest are only counted.
constexpr uint64_t kMaxLoggedBadSamples = 20;
}  // namespace

bool LoaderOptions::is_valid(std::string* error) const {
  auto bad = [&](std::string message) {
    if (error) *error = std::move(message);
    return false;
  };
  if (data_size == 0) return bad("data.data_size = 0 violates data_size > 0");
  if (global_batch_size <= 0) return bad("train.global_batch_size must be > 0");
  if (world_size <= 0 || rank < 0 || rank >= world_size) return bad("rank must lie in [0, world_size)");
  if (global_batch_size % world_size != 0)
    return bad("train.global_batch_size = " + std::to_string(global_batch_size) +
               " violates global_batch_size % world_size == 0 (world_size " + std::to_string(world_size) + ")");
  if (context_length < 2) return bad("context_length must be >= 2");
  if (prefetch_batches < 0) return bad("prefetch_batches must be >= 0");
  if (workers < 1) return bad("train.loader_workers = " + std::to_string(workers) + " violates loader_workers >= 1");
  return true;
}

at::Tensor tokenize_batch(const text::BpeTokenizer& tokenizer, const std::vector<std::string>& captions,
                          int64_t context_length) {
  auto tokens = torch::empty({static_cast<int64_t>(captions.size()), context_length}, torch::kInt64);
  int64_t* out = tokens.data_ptr<int64_t>();
  for (size_t i = 0; i < captions.size(); ++i) {
    const std::vector<int64_t> ids = tokenizer.tokenize(captions[i], context_length);
    std::copy(ids.begin(), ids.end(), out + static_cast<int64_t>(i) * context_length);
  }
  return tokens;
}

Loader::Loader(std::shared_ptr<const SampleSource> source, std::shared_ptr<const text::BpeTokenizer> tokenizer,
               LoaderOptions options, uint64_t start_sample)
    : source_(std::move(source)),
      tokenizer_(std::move(tokenizer)),
      options_(options),
      subset_(source_->size(), core::hash_combine(options.seed, kSubsetSalt)),
      start_sample_(start_sample),
      position_(start_sample) {
  std::string error;
  CLIPSCALE_CHECK(options_.is_valid(&error)) << error;
  if (options_.data_size > source_->size())
    throw core::UserError("data.data_size = " + std::to_string(options_.data_size) +
                          " violates data_size <= pool size (" + std::to_string(source_->size()) + " samples in " +
                          source_->describe() + "). HINT: lower data.data_size or use a larger pool.");
  CLIPSCALE_CHECK_EQ(start_sample % static_cast<uint64_t>(options_.global_batch_size), 0u)
      << "a loader starts on a global batch boundary";
  if (options_.prefetch_batches > 0) start_workers();
}

Loader::~Loader() { stop_workers(); }

uint64_t Loader::pool_index(uint64_t k) const {
  const uint64_t epoch = k / options_.data_size;
  const uint64_t j = k % options_.data_size;
  // A permutation object is a few words and its keys a few hashes: building one per sample is cheap.
  const core::Permutation epoch_order(options_.data_size,
                                      core::hash_combine(core::hash_combine(options_.seed, kEpochSalt), epoch));
  return subset_(epoch_order(j));
}

Example Loader::load(uint64_t k, SkipCounts& replaced) const {
  const uint64_t augment_seed = core::hash_combine(core::hash_combine(options_.seed, kAugmentSalt), k);
  uint64_t index = pool_index(k);
  for (int attempt = 1;; ++attempt) {
    try {
      return source_->get_augmented(index, augment_seed);
    } catch (const BadSampleError& e) {
      if (attempt == 1) replaced.add(e.reason());  // counted once per scheduled sample, by its own problem
      const uint64_t logged = warnings_.fetch_add(1) + 1;
      if (logged <= kMaxLoggedBadSamples)
        spdlog::warn("skipping a bad sample (replaced deterministically): {}", e.what());
      if (logged == kMaxLoggedBadSamples)
        spdlog::warn("further bad samples are replaced and counted (run file: eval/loader) but not logged");
      if (attempt >= kMaxReplacementAttempts) {
        const std::string last = e.what();
        throw core::UserError("data.source = " + source_->describe() + ": " + std::to_string(kMaxReplacementAttempts) +
                              " bad samples in a row while replacing global sample " + std::to_string(k) +
                              " (the last: " + last.substr(0, last.find(" HINT: ")) +
                              "). HINT: most of the pool is unreadable; check the shards.");
      }
      const uint64_t draw = core::hash_combine(
          core::hash_combine(core::hash_combine(options_.seed, kReplacementSalt), k), static_cast<uint64_t>(attempt));
      index = subset_(draw % options_.data_size);
    }
  }
}

Batch Loader::build(uint64_t first_sample) const {
  const int64_t local = options_.local_batch_size();
  const uint64_t begin = first_sample + static_cast<uint64_t>(options_.rank * local);
  Batch batch;
  std::vector<Example> examples;
  examples.reserve(static_cast<size_t>(local));
  for (int64_t i = 0; i < local; ++i) examples.push_back(load(begin + static_cast<uint64_t>(i), batch.replaced));
  batch.first_sample = first_sample;
  const int64_t size = examples.front().image_size;
  batch.images = torch::empty({local, 3, size, size}, torch::kFloat32);
  float* images = batch.images.data_ptr<float>();
  std::vector<std::string> captions;
  captions.reserve(examples.size());
  for (int64_t i = 0; i < local; ++i) {
    const Example& example = examples[static_cast<size_t>(i)];
    CLIPSCALE_CHECK_EQ(example.image_size, size) << "all images of a pool must share one size";
    write_normalized_image(example.pixels.data(), size, images + i * 3 * size * size);
    batch.ids.push_back(example.id);
    batch.noisy += example.noisy ? 1 : 0;
    captions.push_back(example.caption);
  }
  batch.tokens = tokenize_batch(*tokenizer_, captions, options_.context_length);
  return batch;
}

void Loader::work() {
  const uint64_t global = static_cast<uint64_t>(options_.global_batch_size);
  while (true) {
    uint64_t number = 0;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] {
        return stop_ || next_to_build_ < next_to_return_ + static_cast<uint64_t>(options_.prefetch_batches);
      });
      if (stop_) return;
      number = next_to_build_++;
    }
    Slot slot;
    try {
      slot.batch = build(start_sample_ + number * global);
    } catch (...) {
      slot.error = std::current_exception();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    ready_.emplace(number, std::move(slot));
    cv_.notify_all();
  }
}

void Loader::start_workers() {
  stop_ = false;
  for (int64_t w = 0; w < options_.workers; ++w) workers_.emplace_back([this] { work(); });
}

void Loader::stop_workers() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
    cv_.notify_all();
  }
  for (auto& worker : workers_)
    if (worker.joinable()) worker.join();
  workers_.clear();
}

Batch Loader::next() {
  core::Stopwatch wait;
  Batch batch;
  if (options_.prefetch_batches == 0) {
    batch = build(position_);
  } else {
    Slot slot;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] { return ready_.count(next_to_return_) > 0; });
      auto it = ready_.find(next_to_return_);
      slot = std::move(it->second);
      ready_.erase(it);
      ++next_to_return_;
      cv_.notify_all();
    }
    if (slot.error) std::rethrow_exception(slot.error);
    batch = std::move(slot.batch);
  }
  CLIPSCALE_CHECK_EQ(batch.first_sample, position_);
  position_ += static_cast<uint64_t>(options_.global_batch_size);
  replaced_ += batch.replaced;
  batch.wait_seconds = wait.seconds();
  return batch;
}

}  // namespace clipscale::data
