#include "eval/evaluator.h"

#include <fmt/format.h>

#include "eval/retrieval.h"
#include "eval/zero_shot.h"

namespace clipscale::eval {

const std::vector<std::string>& metric_names(spec::EvalTaskKind kind) {
  static const std::vector<std::string> kZeroShot = {"top1", "top5"};
  static const std::vector<std::string> kRetrieval = {"image_to_text_r1", "image_to_text_r5", "image_to_text_r10",
                                                      "text_to_image_r1", "text_to_image_r5", "text_to_image_r10"};
  return kind == spec::EvalTaskKind::kRetrieval ? kRetrieval : kZeroShot;
}

std::vector<io::EvalTaskLayout> eval_task_layouts(const std::vector<std::string>& tasks) {
  std::vector<io::EvalTaskLayout> out;
  for (const auto& name : tasks) {
    const spec::EvalTaskSpec task = spec::find_eval_task(name);  // a task file's name is its stem
    out.push_back({task.name, metric_names(task.kind)});
  }
  return out;
}

std::string format_metrics(int64_t samples, const Metrics& metrics) {
  std::string line = "eval @ " + std::to_string(samples) + " samples";
  for (const auto& [task, values] : metrics) {
    if (values.count("image_to_text_r1") > 0) {
      line +=
          fmt::format(" | {} i2t R@1 {:.3f} R@5 {:.3f} t2i R@1 {:.3f} R@5 {:.3f}", task, values.at("image_to_text_r1"),
                      values.at("image_to_text_r5"), values.at("text_to_image_r1"), values.at("text_to_image_r5"));
    } else if (values.count("top1") > 0) {
      line += fmt::format(" | {} top1 {:.3f} top5 {:.3f}", task, values.at("top1"), values.at("top5"));
    }
  }
  return line;
}

Evaluator::Evaluator(const std::vector<std::string>& tasks, const data::EvalTaskOptions& options,
                     model::Precision precision, std::shared_ptr<const text::BpeTokenizer> tokenizer)
    : tokenizer_(std::move(tokenizer)), precision_(precision), names_(tasks) {
  for (const auto& name : tasks) {
    data::EvalTask task = data::load_eval_task(name, options);
    if (task.kind == spec::EvalTaskKind::kRetrieval) {
      retrieval_.push_back(std::move(task.retrieval));
    } else {
      zero_shot_.push_back(std::move(task.zero_shot));
    }
  }
}

Metrics Evaluator::run(model::ClipModelImpl& model) const {
  Metrics results;
  for (const auto& task : zero_shot_) {
    const ZeroShotResult r = evaluate_zero_shot(model, *tokenizer_, task, precision_);
    results[task.name] = {{"top1", r.top1}, {"top5", r.top5}};
  }
  for (const auto& task : retrieval_) {
    const RetrievalResult r = evaluate_retrieval(model, *tokenizer_, task, precision_);
    const std::vector<double> values = {r.image_to_text_r1, r.image_to_text_r5, r.image_to_text_r10,
                                        r.text_to_image_r1, r.text_to_image_r5, r.text_to_image_r10};
    const auto& names = metric_names(spec::EvalTaskKind::kRetrieval);
    for (size_t i = 0; i < names.size(); ++i) results[task.name][names[i]] = values[i];
  }
  return results;
}

}  // namespace clipscale::eval
