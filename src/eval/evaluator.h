// The evaluation of a run: its tasks (eval.tasks) built once — they are deterministic — and
// scored at every evaluation, with the metric names each kind of task reports. Training,
// `clipscale eval` and the run file's series all take their names from here.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "data/eval_task_data.h"
#include "data/eval_tasks.h"
#include "io/run_file.h"
#include "model/autocast.h"
#include "spec/eval_task_spec.h"

namespace clipscale::model {
class ClipModelImpl;
}
namespace clipscale::text {
class BpeTokenizer;
}

namespace clipscale::eval {

/// task → metric → value.
using Metrics = std::map<std::string, std::map<std::string, double>>;

/// The metrics a task of `kind` reports, in run-file order: top1, top5 for zero-shot tasks;
/// image_to_text_r{1,5,10}, text_to_image_r{1,5,10} for retrieval.
const std::vector<std::string>& metric_names(spec::EvalTaskKind kind);

/// The run-file series of each task (resolved by name only; no image is loaded).
std::vector<io::EvalTaskLayout> eval_task_layouts(const std::vector<std::string>& tasks);

/// "eval @ 32000 samples | retrieval i2t R@1 0.312 R@5 0.697 t2i R@1 ... | zeroshot_shape top1 ...".
std::string format_metrics(int64_t samples, const Metrics& metrics);

class Evaluator {
 public:
  /// Loads every task of `tasks` (data::load_eval_task) with `options`; the model runs under
  /// `precision`. Throws core::UserError for a task that cannot be loaded.
  Evaluator(const std::vector<std::string>& tasks, const data::EvalTaskOptions& options, model::Precision precision,
            std::shared_ptr<const text::BpeTokenizer> tokenizer);

  /// Scores the model on every task (no gradient; the model is put in eval mode and back).
  Metrics run(model::ClipModelImpl& model) const;

  const std::vector<std::string>& task_names() const { return names_; }

 private:
  std::shared_ptr<const text::BpeTokenizer> tokenizer_;
  model::Precision precision_;
  std::vector<std::string> names_;
  std::vector<data::ZeroShotTask> zero_shot_;
  std::vector<data::RetrievalTask> retrieval_;
};

}  // namespace clipscale::eval
