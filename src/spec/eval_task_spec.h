// Evaluation tasks by name, as run configs list them (eval.tasks = ["zeroshot_shape", "icons_emoji"]),
// resolved and checked without LibTorch (data/eval_tasks.h loads their images):
//   * the built-in synthetic tasks "zeroshot_shape", "zeroshot_color" and "retrieval"
//     (data/synth_tasks.h; sizes from eval.zeroshot_size / eval.retrieval_size);
//   * a task file "<tasks_dir>/<name>.toml" (tasks_dir: $CLIPSCALE_EVAL_DIR, else
//     experiments/evals), or a path ending in ".toml" whose stem is the task's name.
//
// A task file (schema_version 1), read by config::Document with eval_task_file_schema():
//   schema_version = 1
//   kind = "zeroshot"                 # or "retrieval"
//   description = "..."               # optional, one line
//   source = "shards:${CLIPSCALE_DATA:-results/data}/icons/eval/icons_emoji.tar"
//   label = "json:label"              # zeroshot: where a sample's class name is: "json:<field>" of
//                                     # key.json, or "txt" (the caption); default "json:label"
//   classes = ["t-shirt", ...]        # zeroshot, optional: class names in label order; default:
//                                     # the sorted distinct labels found in the data
//   templates = ["a photo of a {}."]  # zeroshot: prompts, "{}" is the class name
//   max_samples = 0                   # optional: 0 uses every sample, else a fixed seeded choice
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/schema.h"
#include "spec/source_spec.h"

namespace clipscale::spec {

inline constexpr int kEvalTaskSchemaVersion = 1;
inline constexpr const char* kDefaultEvalTasksDir = "experiments/evals";

enum class EvalTaskKind { kZeroShot, kRetrieval };

/// A task as its file (or the built-in table) describes it; nothing loaded yet.
struct EvalTaskSpec {
  std::string name;
  EvalTaskKind kind = EvalTaskKind::kZeroShot;
  std::string file;    ///< "" for built-in tasks
  std::string source;  ///< the pool of a built-in task ("synth:shapes")
  std::string label = "json:label";
  std::vector<std::string> classes;
  std::vector<std::string> templates;
  int64_t max_samples = 0;
  std::string description;
};

/// Names of the built-in synthetic tasks, in the order run configs list them by default.
const std::vector<std::string>& builtin_eval_task_names();

/// Every key of a task file.
const config::Schema& eval_task_file_schema();

/// The directory task names are looked up in: `tasks_dir`, else $CLIPSCALE_EVAL_DIR, else
/// kDefaultEvalTasksDir.
std::string eval_tasks_dir(const std::string& tasks_dir = "");

/// Resolves and parses `name` (reads only the .toml). Throws core::UserError: an unknown name
/// (listing the known ones), or "file:line: key = value violates rule. HINT: ..." for each
/// problem of a bad file.
EvalTaskSpec find_eval_task(const std::string& name, const std::string& tasks_dir = "");

/// find_eval_task as a config check: nullopt when `name` resolves to a valid task.
std::optional<SpecProblem> check_eval_task(const std::string& name, const std::string& tasks_dir = "");

/// Built-in task names and the stems of the .toml files in the tasks directory, sorted.
std::vector<std::string> known_eval_tasks(const std::string& tasks_dir = "");

/// The task file of `spec` (the inverse of find_eval_task for a task file), with `comment` as
/// leading "# " lines; converters write their tasks with it.
std::string eval_task_toml(const EvalTaskSpec& spec, const std::string& comment);

}  // namespace clipscale::spec
