#include "data/loader.h"

#include <torch/torch.h>

#include "core/error.h"
#include "core/timer.h"
#include "data/image_tensor.h"
#include "text/bpe_tokenizer.h"

namespace clipscale::data {
namespace {
constexpr uint64_t kSubsetSalt = 0x5b5e7;
constexpr uint64_t kEpochSalt = 0xe90c4;
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
      position_(start_sample) {
  std::string error;
  CLIPSCALE_CHECK(options_.is_valid(&error)) << error;
  if (options_.data_size > source_->size())
    throw core::UserError("data.data_size = " + std::to_string(options_.data_size) + " violates data_size <= pool size (" +
                          std::to_string(source_->size()) + " samples in " + source_->describe() +
                          "). HINT: lower data.data_size or use a larger pool.");
  CLIPSCALE_CHECK_EQ(start_sample % static_cast<uint64_t>(options_.global_batch_size), 0u)
      << "a loader starts on a global batch boundary";
  if (options_.prefetch_batches > 0) start_worker(position_);
}

Loader::~Loader() { stop_worker(); }

uint64_t Loader::pool_index(uint64_t k) const {
  const uint64_t epoch = k / options_.data_size;
  const uint64_t j = k % options_.data_size;
  // A permutation object is a few words and its keys a few hashes: building one per sample is cheap.
  const core::Permutation epoch_order(options_.data_size,
                                      core::hash_combine(core::hash_combine(options_.seed, kEpochSalt), epoch));
  return subset_(epoch_order(j));
}

Batch Loader::build(uint64_t first_sample) const {
  const int64_t local = options_.local_batch_size();
  const uint64_t begin = first_sample + static_cast<uint64_t>(options_.rank * local);
  std::vector<Example> examples;
  examples.reserve(static_cast<size_t>(local));
  for (int64_t i = 0; i < local; ++i) examples.push_back(source_->get(pool_index(begin + static_cast<uint64_t>(i))));
  Batch batch;
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

void Loader::start_worker(uint64_t first_sample) {
  stop_ = false;
  worker_ = std::thread([this, first_sample] {
    uint64_t next = first_sample;
    try {
      while (true) {
        {
          std::unique_lock<std::mutex> lock(mutex_);
          cv_.wait(lock, [&] { return stop_ || static_cast<int64_t>(ready_.size()) < options_.prefetch_batches; });
          if (stop_) return;
        }
        Batch batch = build(next);
        next += static_cast<uint64_t>(options_.global_batch_size);
        std::lock_guard<std::mutex> lock(mutex_);
        ready_.push_back(std::move(batch));
        cv_.notify_all();
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      worker_error_ = std::current_exception();
      cv_.notify_all();
    }
  });
}

void Loader::stop_worker() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
    cv_.notify_all();
  }
  if (worker_.joinable()) worker_.join();
}

Batch Loader::next() {
  core::Stopwatch wait;
  Batch batch;
  if (options_.prefetch_batches == 0) {
    batch = build(position_);
  } else {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return !ready_.empty() || worker_error_; });
    if (ready_.empty() && worker_error_) std::rethrow_exception(worker_error_);
    batch = std::move(ready_.front());
    ready_.pop_front();
    cv_.notify_all();
  }
  CLIPSCALE_CHECK_EQ(batch.first_sample, position_);
  position_ += static_cast<uint64_t>(options_.global_batch_size);
  batch.wait_seconds = wait.seconds();
  return batch;
}

}  // namespace clipscale::data
