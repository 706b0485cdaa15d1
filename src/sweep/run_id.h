// Run ids: "<model>-<12 hex digits of sha256>" of a run's canonical resolved config plus its model
// JSON. The same config always gives the same id, so re-planning a sweep gives the same ids and
// `clipscale train --dry-run` prints the id the sweep plan shows.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/document.h"

namespace clipscale::sweep {

/// Run-config keys that cannot change a run's results, so they are not part of its id: where
/// output goes, how often to log, how far the loader decodes ahead and with how many threads,
/// which checkpoints are written and kept and whether a run resumes from one (a resumed run ends
/// bitwise equal to an uninterrupted one), and how the gradient is computed and moved (gradient
/// caching, communicator, bucket size). Keys that do not exist in a schema are skipped.
const std::vector<std::string>& run_id_ignored_keys();

/// The id of the run `resolved` describes: each ignored key is reset to its schema default, the
/// canonical TOML (Document::to_toml(false)) is followed by "\n# model\n" and `model_json` (the
/// model's content, not only its path, defines the model), and the first 12 hex digits of the
/// SHA-256 of that text follow "<model_name>-".
std::string run_id(const config::Document& resolved, std::string_view model_name, std::string_view model_json);

}  // namespace clipscale::sweep
