// The run config of `clipscale train`: its schema (every key, default, rule and doc) and the
// binding from a resolved config document to train::TrainOptions. This is the only place where
// config keys meet option structs.
#pragma once

#include <string>
#include <vector>

#include "config/document.h"
#include "config/schema.h"
#include "train/trainer.h"

namespace clipscale::cli {

/// Every key a run config may contain.
const config::Schema& run_config_schema();

/// Loads and validates a run config (file + --set overrides), including the cross-key rules and
/// the model JSON it names. Throws core::UserError listing every problem.
config::Document load_run_config(const std::string& path, const std::vector<std::string>& overrides);

/// The run id: "<model>-<12 hex digits of sha256 of the canonical config>", ignoring keys that
/// cannot change the result (sweep::run_id_ignored_keys(): run.output_dir, train.log_every_steps,
/// train.prefetch_batches, train.loader_workers, checkpoint.*, train.grad_cache_chunk, dist.*).
/// Same config → same id; computed by sweep::run_id, which sweep plans use too.
std::string run_id_of(const config::Document& document);

/// Binds a validated document to the trainer's options.
train::TrainOptions train_options_from(const config::Document& document);

}  // namespace clipscale::cli
