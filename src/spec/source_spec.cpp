#include "spec/source_spec.h"

#include <filesystem>
#include <vector>

#include "core/error.h"
#include "spec/shard_pattern.h"

namespace clipscale::spec {

bool is_shards_source(const std::string& source) { return source.rfind(kShardsScheme, 0) == 0; }

std::string shard_pattern_of(const std::string& source) {
  CLIPSCALE_CHECK(is_shards_source(source)) << source << " is not a shards source";
  return source.substr(std::string(kShardsScheme).size());
}

SpecProblem SpecProblem::from_error(const std::string& message, const std::string& rule) {
  const size_t hint = message.find(" HINT: ");
  std::string what = message.substr(0, hint);
  if (!what.empty() && what.back() == '.') what.pop_back();
  std::string how = hint == std::string::npos ? "see README, Real data" : message.substr(hint + 7);
  if (!how.empty() && how.back() == '.') how.pop_back();
  return {rule + " (" + what + ")", how};
}

std::optional<SpecProblem> check_source_spec(const std::string& source) {
  if (source == kSynthShapesSource) return std::nullopt;
  if (!is_shards_source(source)) return SpecProblem{"a known source (synth:shapes or shards:PATTERN)", kSourceHint};
  std::vector<std::string> shards;
  try {
    shards = expand_shard_pattern(shard_pattern_of(source), "data.source");
  } catch (const core::UserError& e) {
    return SpecProblem::from_error(e.what(), "a valid shard pattern");
  }
  for (const auto& shard : shards) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(shard, ec))
      return SpecProblem{"every shard exists (" + shard + " does not, or is not a file; " +
                             std::to_string(shards.size()) + " shards in the pattern)",
                         "make the pool first (README, Real data) or fix the pattern"};
  }
  return std::nullopt;
}

}  // namespace clipscale::spec
