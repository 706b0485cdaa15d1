// Evaluation tasks loaded by name (spec/eval_task_spec.h resolves and checks the names and task
// files without LibTorch): the built-in synthetic tasks are drawn (data/synth_tasks.h), task files
// name tar shards whose images go through the eval transform (resize + centre crop) at the
// model's image size; samples that cannot be read are skipped with a warning. Retrieval pairs each
// image with its caption (key.txt); identical captions form one group.
#pragma once

#include <cstdint>
#include <string>

#include "data/eval_task_data.h"
#include "spec/eval_task_spec.h"

namespace clipscale::data {

struct EvalTaskOptions {
  int64_t image_size = 32;        ///< the model's input size
  uint64_t synth_seed = 0;        ///< data.pool_seed, for the built-in tasks
  int64_t zeroshot_size = 1200;   ///< images per built-in zero-shot task
  int64_t retrieval_size = 1000;  ///< pairs in the built-in retrieval task
  std::string tasks_dir;          ///< "" → $CLIPSCALE_EVAL_DIR or spec::kDefaultEvalTasksDir
};

/// A loaded task: `zero_shot` or `retrieval` is filled, as `kind` says.
struct EvalTask {
  std::string name;
  spec::EvalTaskKind kind = spec::EvalTaskKind::kZeroShot;
  ZeroShotTask zero_shot;
  RetrievalTask retrieval;
};

/// Loads `name`'s images and labels (or captions). Throws core::UserError when the name or task
/// file is bad (spec::find_eval_task), its data is missing, a label is not one of `classes`, or
/// no sample is usable.
EvalTask load_eval_task(const std::string& name, const EvalTaskOptions& options);

}  // namespace clipscale::data
