// clipscale export CHECKPOINT --safetensors model.safetensors [--dtype F32] [--config-json F]
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "io/atomic_file.h"
#include "train/checkpoint.h"

namespace clipscale::cli {
namespace {

struct ExportCommandOptions {
  std::string checkpoint;
  std::string safetensors;
  std::string dtype = "F32";
  std::string config_json;
};

void run_export(const ExportCommandOptions& o) {
  train::LoadedCheckpoint loaded = train::load_checkpoint(o.checkpoint);
  train::export_safetensors(*loaded.model, o.safetensors, o.dtype,
                            {{"format", "pt"},
                             {"producer", "clipscale"},
                             {"run_id", loaded.meta.run_id},
                             {"model", loaded.model->config().name}});
  std::printf("wrote %s (%s, OpenCLIP state_dict names)\n", o.safetensors.c_str(), o.dtype.c_str());
  if (!o.config_json.empty()) {
    io::write_file_atomic(o.config_json, loaded.model->config().to_json() + "\n");
    std::printf("wrote %s (OpenCLIP model config)\n", o.config_json.c_str());
  }
}

}  // namespace

void setup_export(CLI::App& app) {
  auto options = std::make_shared<ExportCommandOptions>();
  CLI::App* sub = app.add_subcommand("export", "write a checkpoint's weights as safetensors that OpenCLIP loads");
  sub->add_option("checkpoint", options->checkpoint, "checkpoint directory")->required();
  sub->add_option("--safetensors", options->safetensors, "output .safetensors file")->required();
  sub->add_option("--dtype", options->dtype, "F32, BF16 or F16")->check(CLI::IsMember({"F32", "BF16", "F16"}));
  sub->add_option("--config-json", options->config_json, "also write the OpenCLIP model config JSON here");
  sub->callback([options] { run_export(*options); });
}

}  // namespace clipscale::cli
