// Shard patterns: how a config names a list of tar shards, WebDataset style.
//
//   results/data/icons/pool/{00000..00038}.tar            39 shards, 00000.tar ... 00038.tar
//   pool/{a,b}-{000..002}.tar                             a-000, a-001, a-002, b-000, ...
//   ${CLIPSCALE_DATA:-results/data}/fmnist/test.tar       an environment variable with a default
//   pool-a/{0..9}.tar::pool-b/{0..4}.tar                  several patterns, concatenated
//
// Rules, applied in this order:
//   1. "${NAME}" is replaced by the environment variable NAME, "${NAME:-default}" by its value or
//      `default` when it is unset or empty; an unset variable without a default is an error.
//   2. "::" separates patterns; their expansions are concatenated in order.
//   3. "{a..b}" is the inclusive decimal range a, a+1, ..., b (a <= b); when a is written with
//      leading zeros (or a and b have the same width) every number is zero-padded to a's width.
//   4. "{x,y,z}" is the list of alternatives x, y, z.
//   Several groups expand to their cartesian product, the leftmost group varying slowest.
#pragma once

#include <string>
#include <vector>

namespace clipscale::spec {

/// At most this many paths from one pattern.
inline constexpr size_t kMaxShardPaths = 10'000'000;

/// Replaces "${NAME}" and "${NAME:-default}" (rule 1). Throws core::UserError naming `what`
/// (e.g. "data.source") for an unset variable without default or an unterminated "${".
std::string expand_environment(const std::string& text, const std::string& what);

/// The paths of `pattern` (rules 1–4), in order. Throws core::UserError naming `what` and the
/// pattern for unbalanced or nested braces, an empty group, a reversed or non-numeric range,
/// or more than kMaxShardPaths paths.
std::vector<std::string> expand_shard_pattern(const std::string& pattern, const std::string& what);

}  // namespace clipscale::spec
