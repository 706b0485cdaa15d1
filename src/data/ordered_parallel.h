// Parallel production with ordered consumption, for the converters behind `clipscale data`:
// items are rendered/encoded on every core, and written to shards in a fixed order, so the output
// does not depend on the number of threads.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace clipscale::data {

/// Calls produce(i) for i in [0, n) on `threads` threads (the caller's included), in blocks of
/// `block` items, and consume(i, result) on the calling thread in order i = 0, 1, ..., n-1.
/// produce must be safe to call concurrently. The first exception from produce or consume is
/// rethrown after the running block's threads are joined.
template <typename Result, typename Produce, typename Consume>
void for_each_ordered(int64_t n, int64_t threads, Produce produce, Consume consume, int64_t block = 256) {
  threads = std::max<int64_t>(threads, 1);
  std::vector<std::optional<Result>> results;
  for (int64_t start = 0; start < n; start += block) {
    const int64_t count = std::min(block, n - start);
    results.assign(static_cast<size_t>(count), std::nullopt);
    std::atomic<int64_t> next{0};
    std::exception_ptr error;
    std::mutex error_mutex;
    auto run = [&] {
      for (int64_t i = next++; i < count; i = next++) {
        try {
          results[static_cast<size_t>(i)].emplace(produce(start + i));
        } catch (...) {
          std::lock_guard<std::mutex> lock(error_mutex);
          if (!error) error = std::current_exception();
          next = count;
        }
      }
    };
    std::vector<std::thread> pool;
    for (int64_t t = 1; t < std::min(threads, count); ++t) pool.emplace_back(run);
    run();
    for (auto& thread : pool) thread.join();
    if (error) std::rethrow_exception(error);
    for (int64_t i = 0; i < count; ++i) consume(start + i, std::move(*results[static_cast<size_t>(i)]));
  }
}

}  // namespace clipscale::data
