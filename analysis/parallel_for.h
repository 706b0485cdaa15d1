// A static split of [0, n) over std::threads: worker w gets one contiguous range. Results that
// are stored by index do not depend on the number of threads.
#pragma once

#include <algorithm>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace clipscale::analysis {

/// Threads to use for `requested` (0: every hardware thread), never more than `work` items.
inline int resolve_threads(int requested, size_t work) {
  int threads = requested > 0 ? requested : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  threads = static_cast<int>(std::min<size_t>(static_cast<size_t>(threads), std::max<size_t>(work, 1)));
  return threads;
}

/// Calls body(begin, end, worker) for `threads` contiguous ranges covering [0, n), each on its own
/// thread (the first on the calling thread). The first exception thrown by a worker is rethrown
/// after all have finished.
template <typename Body>
void parallel_for(size_t n, int threads, const Body& body) {
  threads = resolve_threads(threads, n);
  if (n == 0) return;
  std::vector<std::exception_ptr> errors(static_cast<size_t>(threads));
  auto run = [&](int w) {
    const size_t begin = n * static_cast<size_t>(w) / static_cast<size_t>(threads);
    const size_t end = n * static_cast<size_t>(w + 1) / static_cast<size_t>(threads);
    try {
      body(begin, end, w);
    } catch (...) {
      errors[static_cast<size_t>(w)] = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  for (int w = 1; w < threads; ++w) pool.emplace_back(run, w);
  run(0);
  for (std::thread& t : pool) t.join();
  for (const std::exception_ptr& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace clipscale::analysis
