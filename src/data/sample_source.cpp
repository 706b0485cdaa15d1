#include "data/sample_source.h"

#include <fmt/format.h>

#include "core/error.h"
#include "data/synth_shapes.h"

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
  if (options.spec == "synth:shapes") {
    if (options.pool_size == 0 || options.pool_size > kEvalIdBase)
      throw core::UserError("data.pool_size = " + std::to_string(options.pool_size) +
                            " violates 0 < pool_size <= 2^62. HINT: the default 2^32 is effectively unlimited.");
    SynthOptions synth;
    synth.image_size = options.image_size;
    synth.noise_fraction = options.noise_fraction;
    synth.seed = options.seed;
    return std::make_unique<SynthSource>(synth, options.pool_size);
  }
  throw core::UserError("data.source = \"" + options.spec +
                        "\" is not a known source. HINT: the built-in pool is \"synth:shapes\".");
}

}  // namespace clipscale::data
