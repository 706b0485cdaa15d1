#include "data/sample_source.h"

#include <fmt/format.h>

#include <filesystem>

#include "core/error.h"
#include "data/shard_pattern.h"
#include "data/shard_source.h"
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

constexpr const char* kShardsScheme = "shards:";
constexpr const char* kSourceHint =
    "the built-in pool is \"synth:shapes\"; tar shards are \"shards:dir/{00000..00099}.tar\" "
    "(`clipscale data synth|iconify` make some)";

bool is_shards(const std::string& spec) { return spec.rfind(kShardsScheme, 0) == 0; }

}  // namespace

SpecProblem SpecProblem::from_error(const std::string& message, const std::string& rule) {
  const size_t hint = message.find(" HINT: ");
  std::string what = message.substr(0, hint);
  if (!what.empty() && what.back() == '.') what.pop_back();
  std::string how = hint == std::string::npos ? "see README, Real data" : message.substr(hint + 7);
  if (!how.empty() && how.back() == '.') how.pop_back();
  return {rule + " (" + what + ")", how};
}

std::optional<SpecProblem> check_source_spec(const std::string& spec) {
  if (spec == "synth:shapes") return std::nullopt;
  if (!is_shards(spec)) return SpecProblem{"a known source (synth:shapes or shards:PATTERN)", kSourceHint};
  std::vector<std::string> shards;
  try {
    shards = expand_shard_pattern(spec.substr(std::string(kShardsScheme).size()), "data.source");
  } catch (const core::UserError& e) {
    return SpecProblem::from_error(e.what(), "a valid shard pattern");
  }
  for (const auto& shard : shards) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(shard, ec))
      return SpecProblem{"every shard exists (" + shard + " does not, or is not a file; " + std::to_string(shards.size()) +
                             " shards in the pattern)",
                         "make the pool first (README, Real data) or fix the pattern"};
  }
  return std::nullopt;
}

std::unique_ptr<SampleSource> open_source(const SourceOptions& options) {
  if (is_shards(options.spec)) {
    ShardSourceOptions shard_options;
    shard_options.pattern = options.spec.substr(std::string(kShardsScheme).size());
    shard_options.shards = expand_shard_pattern(shard_options.pattern, "data.source");
    shard_options.image_size = options.image_size;
    shard_options.max_samples = options.pool_size;
    return std::make_unique<ShardSource>(std::move(shard_options));
  }
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
  throw core::UserError("data.source = \"" + options.spec + "\" is not a known source. HINT: " + kSourceHint + ".");
}

}  // namespace clipscale::data
