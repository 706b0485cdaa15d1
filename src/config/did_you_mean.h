// "Did you mean ...?" suggestions for misspelt keys and option values.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clipscale::config {

/// Optimal-string-alignment distance: the number of single-character insertions, deletions,
/// substitutions and adjacent transpositions that turn `a` into `b` ("lrr"→"lr" is 1,
/// "rl"→"lr" is 1).
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate closest to `word` by edit_distance (ASCII case ignored) when it is close enough
/// to be a plausible typo, distance <= max(2, word.size() / 4); nullopt otherwise. Ties go to the
/// earlier candidate. An exact match is not a suggestion and is skipped.
std::optional<std::string> did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

/// did_you_mean for dotted keys; when no key is close, a key with the same last part in another
/// section is suggested ("optim.global_batch_size" → "train.global_batch_size") if exactly one exists.
std::optional<std::string> closest_key(std::string_view key, const std::vector<std::string>& keys);

}  // namespace clipscale::config
