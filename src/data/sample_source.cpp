#include "data/sample_source.h"

#include <fmt/format.h>

#include "core/error.h"
#include "data/shard_source.h"
#include "data/synth_shapes.h"
#include "spec/shard_pattern.h"
#include "spec/source_spec.h"

namespace clipscale::data {
namespace {

class SynthSource final : public SampleSource {
 public:
  SynthSource(SynthOptions options, uint64_t pool_size) : synth_(options), pool_size_(pool_size) {}
  uint64_t size() const override { return pool_size_; }
  Example get(uint64_t index) const override {
    CLIPSCALE_CHECK_LT(index, pool_size_);
    SynthSample sample = synth_.get(index);
    Example example;
    example.id = index;
    example.image_size = synth_.options().image_size;
    example.pixels = std::move(sample.pixels);
    example.caption = std::move(sample.caption);
    example.noisy = sample.noisy;
    return example;
  }
  std::string describe() const override {
    return fmt::format("synth:shapes(seed={}, noise_fraction={:g})", synth_.options().seed,
                       synth_.options().noise_fraction);
  }

 private:
  SynthShapes synth_;
  uint64_t pool_size_;
};

}  // namespace

std::unique_ptr<SampleSource> open_source(const SourceOptions& options) {
  if (spec::is_shards_source(options.spec)) {
    ShardSourceOptions shard_options;
    shard_options.pattern = spec::shard_pattern_of(options.spec);
    shard_options.shards = spec::expand_shard_pattern(shard_options.pattern, "data.source");
    shard_options.image_size = options.image_size;
    shard_options.max_samples = options.pool_size;
    return std::make_unique<ShardSource>(std::move(shard_options));
  }
  if (options.spec == spec::kSynthShapesSource) {
    if (options.pool_size == 0 || options.pool_size > kEvalIdBase)
      throw core::UserError("data.pool_size = " + std::to_string(options.pool_size) +
                            " violates 0 < pool_size <= 2^62. HINT: the default 2^32 is effectively unlimited.");
    SynthOptions synth;
    synth.image_size = options.image_size;
    synth.noise_fraction = options.noise_fraction;
    synth.seed = options.seed;
    return std::make_unique<SynthSource>(synth, options.pool_size);
  }
  throw core::UserError("data.source = \"" + options.spec + "\" is not a known source. HINT: " + spec::kSourceHint +
                        ".");
}

SourceOptions source_options(const spec::RunConfig::Data& data, int64_t image_size) {
  SourceOptions options;
  options.spec = data.source;
  options.image_size = image_size;
  options.noise_fraction = data.noise_fraction;
  options.pool_size = static_cast<uint64_t>(data.pool_size);
  options.seed = static_cast<uint64_t>(data.pool_seed);
  return options;
}

}  // namespace clipscale::data
