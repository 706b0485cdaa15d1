// A pool: an ordered set of (image, caption) samples with stable ids, read by index. The loader
// only sees this interface, so the built-in synthetic pool and tar shards are interchangeable.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace clipscale::data {

/// One decoded sample: square HWC uint8 RGB pixels and a caption.
struct Example {
  uint64_t id = 0;          ///< stable sample id within the pool
  int64_t image_size = 0;   ///< pixels are image_size × image_size × 3
  std::vector<uint8_t> pixels;
  std::string caption;
  bool noisy = false;       ///< known only for synthetic pools; false elsewhere
};

class SampleSource {
 public:
  virtual ~SampleSource() = default;
  /// Number of samples in the pool.
  virtual uint64_t size() const = 0;
  /// Sample at `index` (< size()). Must be safe to call from several threads at once.
  virtual Example get(uint64_t index) const = 0;
  /// A short description such as "synth:shapes(seed=0, noise_fraction=0.2)".
  virtual std::string describe() const = 0;
};

/// Opens a source from its config string. Today: "synth:shapes" (the built-in pool of
/// `pool_size` samples drawn at `image_size` pixels with `noise_fraction` noisy captions).
/// An unknown scheme throws core::UserError naming data.source with a HINT.
struct SourceOptions {
  std::string spec = "synth:shapes";
  int64_t image_size = 32;
  double noise_fraction = 0.2;
  uint64_t pool_size = uint64_t{1} << 32;
  uint64_t seed = 0;
};
std::unique_ptr<SampleSource> open_source(const SourceOptions& options);

}  // namespace clipscale::data
