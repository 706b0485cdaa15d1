// Run ids: "<model>-<12 hex digits of sha256>" of a run's canonical resolved config plus its model
// JSON. The same config always gives the same id, so re-planning a sweep gives the same ids and
// `clipscale train --dry-run` prints the id the sweep plan shows.
//
// Ids never move. The hashed text is the canonical TOML of the config (Document::to_toml) with
//  * every key of run_id_ignored_keys() reset to its default (it cannot change results), and
//  * every key that is not one of run_id_original_keys() (a key added to the schema after ids
//    were first published) left out while it holds its default value,
// so adding a key to the run-config schema leaves the id of every existing config unchanged; only
// a config that sets the new key to another value gets a new id.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/document.h"

namespace clipscale::spec {

/// Run-config keys that cannot change a run's results, so they are not part of its id: where
/// output goes, how often to log, how far the loader decodes ahead and with how many threads,
/// which checkpoints are written and kept and whether a run resumes from one (a resumed run ends
/// bitwise equal to an uninterrupted one), and how the gradient is computed and moved (gradient
/// caching, communicator, bucket size). Keys that do not exist in a schema are skipped.
const std::vector<std::string>& run_id_ignored_keys();

/// The run-config keys of the first published schema, in its order. Frozen: never edit.
const std::vector<std::string>& run_id_original_keys();

/// The text run_id() hashes (without the model JSON).
std::string run_id_text(const config::Document& resolved);

/// The id of the run `resolved` describes: run_id_text(), then "\n# model\n" and `model_json`
/// (the model's content, not only its path, defines the model); the first 12 hex digits of the
/// SHA-256 of that text follow "<model_name>-".
std::string run_id(const config::Document& resolved, std::string_view model_name, std::string_view model_json);

}  // namespace clipscale::spec
