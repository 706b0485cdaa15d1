// clipscale eval CHECKPOINT [--task NAME]... [--out DIR] [--precision fp32|bf16]
//                [--zeroshot-size N] [--retrieval-size N]
// Evaluates any checkpoint on any task set with the evaluator training uses (eval/evaluator.h):
// the same tasks, drawn the same way, scored the same way. Prints one task/metric=value line per
// metric and, with --out, writes DIR/eval.h5 (a table file: one row per task and metric) and
// DIR/eval.json.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "config/document.h"
#include "core/error.h"
#include "eval/evaluator.h"
#include "io/atomic_file.h"
#include "io/table_file.h"
#include "model/autocast.h"
#include "model/clip_model.h"
#include "spec/run_config.h"
#include "train/checkpoint.h"

namespace clipscale::cli {
namespace {

struct EvalCommandOptions {
  std::string checkpoint;
  std::vector<std::string> tasks;  ///< empty: the checkpoint's eval.tasks
  std::string out;                 ///< "" prints only
  std::string precision;           ///< "" : the checkpoint's train.precision
  int64_t zeroshot_size = 0;       ///< 0: the checkpoint's eval.zeroshot_size
  int64_t retrieval_size = 0;      ///< 0: the checkpoint's eval.retrieval_size
};

// The run config stored in the checkpoint. Keys this clipscale does not know (a checkpoint from a
// newer one) are reported as a warning, not an error: only the data and eval keys are read.
spec::RunConfig checkpoint_config(const train::LoadedCheckpoint& loaded, const std::string& dir) {
  std::vector<config::Problem> problems;
  const config::Document doc = config::Document::load_text(spec::run_config_schema(), loaded.run_config_toml,
                                                           dir + "/run_config.toml", &problems);
  for (const auto& p : problems) spdlog::warn("{}", p.text);
  return spec::bind_run_config(doc);
}

void write_results(const std::string& dir, const train::LoadedCheckpoint& loaded, const std::string& checkpoint,
                   const std::string& precision, const eval::Metrics& metrics) {
  io::Table table;
  std::vector<std::string> tasks, names;
  std::vector<double> values;
  nlohmann::json json = {{"checkpoint", checkpoint},
                         {"run_id", loaded.meta.run_id},
                         {"model", loaded.meta.model},
                         {"step", loaded.meta.step},
                         {"samples_seen", loaded.meta.samples_seen},
                         {"precision", precision},
                         {"metrics", nlohmann::json::object()}};
  for (const auto& [task, task_metrics] : metrics)
    for (const auto& [name, value] : task_metrics) {
      tasks.push_back(task);
      names.push_back(name);
      values.push_back(value);
      json["metrics"][task][name] = value;
    }
  table.add("task", tasks);
  table.add("metric", names);
  table.add("value", values);
  std::filesystem::create_directories(dir);
  io::TableFileWriter writer((std::filesystem::path(dir) / "eval.h5").string());
  writer.write_table("/metrics", table);
  writer.set_attributes("/", {{"checkpoint", checkpoint},
                              {"run_id", loaded.meta.run_id},
                              {"model", loaded.meta.model},
                              {"precision", precision},
                              {"step", loaded.meta.step},
                              {"samples_seen", loaded.meta.samples_seen}});
  writer.commit();
  io::write_file_atomic((std::filesystem::path(dir) / "eval.json").string(), json.dump(2) + "\n");
}

void run_eval(const EvalCommandOptions& o) {
  if (o.zeroshot_size < 0 || o.retrieval_size < 0)
    throw core::UserError("--zeroshot-size and --retrieval-size must be >= 0. HINT: 0 takes the checkpoint's value.");
  train::LoadedCheckpoint loaded = train::load_checkpoint(o.checkpoint);
  const spec::RunConfig config = checkpoint_config(loaded, o.checkpoint);
  const std::string precision_name = o.precision.empty() ? config.train.precision : o.precision;
  const model::Precision precision = model::parse_precision(precision_name, "--precision");
  const std::vector<std::string> tasks = o.tasks.empty() ? config.eval.tasks : o.tasks;
  for (const auto& task : tasks)
    if (const auto problem = spec::check_eval_task(task))
      throw core::UserError("--task " + task + " violates " + problem->rule + ". HINT: " + problem->hint + ".");

  data::EvalTaskOptions task_options;
  task_options.image_size = loaded.model->config().vision.image_size;
  task_options.synth_seed = static_cast<uint64_t>(config.data.pool_seed);
  task_options.zeroshot_size = o.zeroshot_size > 0 ? o.zeroshot_size : config.eval.zeroshot_size;
  task_options.retrieval_size = o.retrieval_size > 0 ? o.retrieval_size : config.eval.retrieval_size;
  const eval::Evaluator evaluator(tasks, task_options, precision, loaded.tokenizer);
  const eval::Metrics metrics = evaluator.run(*loaded.model);

  spdlog::info("{}", eval::format_metrics(loaded.meta.samples_seen, metrics));
  for (const auto& [task, task_metrics] : metrics)
    for (const auto& [name, value] : task_metrics) std::printf("%s/%s=%.4f\n", task.c_str(), name.c_str(), value);
  if (!o.out.empty()) {
    write_results(o.out, loaded, o.checkpoint, precision_name, metrics);
    std::printf("wrote %s/eval.h5 and %s/eval.json\n", o.out.c_str(), o.out.c_str());
  }
}

}  // namespace

void setup_eval(CLI::App& app) {
  auto options = std::make_shared<EvalCommandOptions>();
  CLI::App* sub = app.add_subcommand("eval", "evaluate a checkpoint on evaluation tasks (as training evaluates)");
  sub->add_option("checkpoint", options->checkpoint, "checkpoint directory (results/<name>/checkpoints/<id>/final)")
      ->required();
  sub->add_option("--task", options->tasks,
                  "task name (built in, or experiments/evals/<name>.toml), repeatable; default: the run's eval.tasks");
  sub->add_option("--out", options->out, "write DIR/eval.h5 and DIR/eval.json");
  sub->add_option("--precision", options->precision, "fp32 or bf16 (default: the run's train.precision)")
      ->check(CLI::IsMember({"fp32", "bf16"}));
  sub->add_option("--zeroshot-size", options->zeroshot_size, "images per built-in zero-shot task (default: the run's)");
  sub->add_option("--retrieval-size", options->retrieval_size, "pairs in the built-in retrieval task (default: the run's)");
  sub->callback([options] { run_eval(*options); });
}

}  // namespace clipscale::cli
