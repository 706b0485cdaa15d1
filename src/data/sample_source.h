// A pool: an ordered set of (image, caption) samples with stable ids, read by index. The loader
// only sees this interface, so the built-in synthetic pool and tar shards are interchangeable.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/bad_sample.h"
#include "spec/run_config.h"

namespace clipscale::data {

/// One decoded sample: square HWC uint8 RGB pixels and a caption.
struct Example {
  uint64_t id = 0;         ///< stable sample id within the pool
  int64_t image_size = 0;  ///< pixels are image_size × image_size × 3
  std::vector<uint8_t> pixels;
  std::string caption;
  bool noisy = false;  ///< known only for synthetic pools; false elsewhere
};

/// Every method must be safe to call from several threads at once. A sample that cannot be used
/// (corrupt image, bad caption, ...) throws BadSampleError, which the loader counts and replaces;
/// any other exception is a real failure and stops the run.
class SampleSource {
 public:
  virtual ~SampleSource() = default;
  /// Number of samples in the pool.
  virtual uint64_t size() const = 0;
  /// Sample at `index` (< size()) as evaluation sees it (shards: OpenCLIP's eval transform,
  /// resize + centre crop to the source's image size).
  virtual Example get(uint64_t index) const = 0;
  /// Sample at `index` as training sees it. Sources with random augmentation (shards: OpenCLIP's
  /// RandomResizedCrop) draw it from `augment_seed`, which the loader derives from (data seed,
  /// global sample k), so every run, rank and resume sees the same pixels. Default: get(index).
  virtual Example get_augmented(uint64_t index, uint64_t augment_seed) const {
    (void)augment_seed;
    return get(index);
  }
  /// The caption alone (no image decoded), e.g. to train a vocabulary on the pool.
  virtual std::string caption(uint64_t index) const { return get(index).caption; }
  /// Samples left out of the pool when it was opened (damaged shards, unsafe names, samples
  /// without image or caption), by reason. The synthetic pool has none.
  virtual SkipCounts excluded() const { return {}; }
  /// A short description such as "synth:shapes(seed=0, noise_fraction=0.2)".
  virtual std::string describe() const = 0;
};

/// Opens a source from its config string (data.source):
///   "synth:shapes"      the built-in pool of `pool_size` samples drawn at `image_size` pixels
///                       with `noise_fraction` noisy captions;
///   "shards:PATTERN"    WebDataset tar shards named by a shard pattern (shard_pattern.h), e.g.
///                       "shards:results/data/icons/pool/{00000..00038}.tar"; samples are
///                       key.jpg|jpeg|png + key.txt (+ key.json), images resized to
///                       `image_size`; `pool_size` caps the pool to its first samples.
/// An unknown scheme, a bad pattern or a missing shard throws core::UserError naming data.source
/// with a HINT (spec::check_source_spec checks the same without opening anything).
struct SourceOptions {
  std::string spec = "synth:shapes";
  int64_t image_size = 32;
  double noise_fraction = 0.2;
  uint64_t pool_size = uint64_t{1} << 32;
  uint64_t seed = 0;
};
std::unique_ptr<SampleSource> open_source(const SourceOptions& options);

/// The source of a run config's [data] section at the model's image size.
SourceOptions source_options(const spec::RunConfig::Data& data, int64_t image_size);

}  // namespace clipscale::data
