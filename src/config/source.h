// Where a config value came from: a line of a TOML file, a --set override, or the schema default.
#pragma once

#include <string>
#include <utility>

namespace clipscale::config {

/// Provenance of one config value. Printed by `--dry-run` beside every value and at the start
/// of every error message about it.
struct Source {
  enum class Kind { kDefault, kFile, kOverride };
  Kind kind = Kind::kDefault;
  /// kFile: the config path as the user gave it.
  std::string file;
  /// kFile: 1-based line of the value; 0 when unknown.
  int line = 0;
  /// kOverride: the override as given, "optim.lr=1e-3"; may be empty.
  std::string text;

  /// "experiments/runs/q.toml:14" · "--set optim.lr=1e-3" ("--set" when `text` is empty) · "default".
  std::string describe() const;

  static Source from_default() { return Source{}; }
  static Source from_file(std::string file, int line) { return Source{Kind::kFile, std::move(file), line, {}}; }
  static Source from_override(std::string text) { return Source{Kind::kOverride, {}, 0, std::move(text)}; }
};

bool operator==(const Source& a, const Source& b);
inline bool operator!=(const Source& a, const Source& b) { return !(a == b); }

}  // namespace clipscale::config
