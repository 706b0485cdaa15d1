// clipscale train CONFIG.toml [--set key=value]... [--dry-run]
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/run_config.h"
#include "train/trainer.h"

namespace clipscale::cli {
namespace {

struct TrainCommandOptions {
  std::string config_path;
  std::vector<std::string> overrides;
  bool dry_run = false;
};

void run_train(const TrainCommandOptions& command) {
  const config::Document doc = load_run_config(command.config_path, command.overrides);
  const train::TrainOptions options = train_options_from(doc);
  const std::string resolved = doc.to_toml(true);
  if (command.dry_run) {
    std::printf("# run id: %s\n# run file: %s\n%s", options.run_id.c_str(), options.run_file_path().c_str(),
                resolved.c_str());
    return;
  }
  const train::TrainResult result = train::run_training(options, resolved);
  spdlog::info("done: {} steps, {} samples, final loss {:.4f}", result.steps, result.samples_seen, result.final_loss);
  std::printf("run_file=%s\n", result.run_file.c_str());
  if (!result.checkpoint_dir.empty()) std::printf("checkpoint=%s\n", result.checkpoint_dir.c_str());
  for (const auto& [task, metrics] : result.final_metrics)
    for (const auto& [metric, value] : metrics) std::printf("%s/%s=%.4f\n", task.c_str(), metric.c_str(), value);
}

}  // namespace

void setup_train(CLI::App& app) {
  auto options = std::make_shared<TrainCommandOptions>();
  CLI::App* sub = app.add_subcommand("train", "train one run from a TOML run config");
  sub->add_option("config", options->config_path, "run config (TOML)")->required()->check(CLI::ExistingFile);
  sub->add_option("--set", options->overrides, "override a config value: --set optim.lr=1e-3 (repeatable)")
      ->allow_extra_args(false);
  sub->add_flag("--dry-run", options->dry_run, "print the resolved config with the source of every value, and exit");
  sub->callback([options] { run_train(*options); });
}

}  // namespace clipscale::cli
