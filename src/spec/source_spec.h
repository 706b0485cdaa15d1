// data.source strings, checked without LibTorch and without reading any shard:
//   "synth:shapes"      the built-in synthetic pool (data/synth_shapes.h);
//   "shards:PATTERN"    WebDataset tar shards named by a shard pattern (spec/shard_pattern.h).
// data/sample_source.h opens them; sweeps and `clipscale train --dry-run` only check them.
#pragma once

#include <optional>
#include <string>

namespace clipscale::spec {

inline constexpr const char* kShardsScheme = "shards:";
inline constexpr const char* kSynthShapesSource = "synth:shapes";

/// The HINT for a data.source that is not a known source.
inline constexpr const char* kSourceHint =
    "the built-in pool is \"synth:shapes\"; tar shards are \"shards:dir/{00000..00099}.tar\" "
    "(`clipscale data synth|iconify` make some)";

/// True when `source` names tar shards ("shards:...").
bool is_shards_source(const std::string& source);

/// The pattern of a shards source ("shards:a/{0..3}.tar" → "a/{0..3}.tar").
std::string shard_pattern_of(const std::string& source);

/// What is wrong with a config value, for config::Document::violation.
struct SpecProblem {
  std::string rule;  ///< e.g. "a known source (synth:shapes or shards:PATTERN)"
  std::string hint;

  /// From a UserError message "<what>. HINT: <hint>": rule "<rule> (<what>)" and its hint.
  static SpecProblem from_error(const std::string& message, const std::string& rule);
};

/// Checks a data.source string without reading any shard: the scheme, the pattern's syntax and
/// that every shard file exists. nullopt when it is fine.
std::optional<SpecProblem> check_source_spec(const std::string& source);

}  // namespace clipscale::spec
