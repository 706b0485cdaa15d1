// clipscale train CONFIG.toml [--set key=value]... [--dry-run]
// On N ranks: mpirun -np N clipscale train ...  or  srun -n N --mpi=pmix clipscale train ...
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "cli/commands.h"
#include "core/error.h"
#include "core/log.h"
#include "dist/communicator.h"
#include "spec/run_config.h"
#include "train/trainer.h"

namespace clipscale::cli {
namespace {

struct TrainCommandOptions {
  std::string config_path;
  std::vector<std::string> overrides;
  bool dry_run = false;
};

void run_train(const TrainCommandOptions& command) {
  const config::Document doc = spec::load_run_config(command.config_path, command.overrides);
  const train::TrainOptions options = train::TrainOptions::from(doc);
  const std::string resolved = doc.to_toml(true);
  if (command.dry_run) {
    std::printf("# run id: %s\n# run file: %s\n%s", options.run_id.c_str(), options.run_file_path().c_str(),
                resolved.c_str());
    return;
  }
  // The config is checked before MPI starts, so a bad value ends every rank with exit code 2.
  std::unique_ptr<dist::Communicator> comm = dist::open_communicator(doc.get_string("dist.backend"));
  core::set_logging_rank(comm->rank(), comm->world_size());
  if (comm->world_size() > 1)
    spdlog::info("{} ranks over {} ({} on this host)", comm->world_size(), comm->backend(), comm->local_world_size());
  train::TrainResult result;
  try {
    result = train::run_training(options, resolved, *comm);
  } catch (const std::exception& e) {
    if (comm->world_size() == 1) throw;
    // The other ranks may be waiting in a collective: stop them all, naming this rank and host.
    const bool user_error = dynamic_cast<const core::UserError*>(&e) != nullptr;
    comm->abort(e.what(), user_error ? core::kUserErrorExitCode : 1);
  }
  if (result.preempted) {
    if (comm->rank() == 0) std::printf("preempted=%s\n", result.run_file.c_str());
    std::fflush(stdout);
    comm.reset();  // MPI_Finalize on every rank before leaving
    std::exit(core::kPreemptedExitCode);
  }
  if (comm->rank() != 0) return;
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
