// clipscale embed CHECKPOINT [--data SOURCE] --count 64 --out emb.h5 [--save-inputs]
// Writes image and text embeddings of the first `count` pool samples (from --first-id on) of any
// data.source — the checkpoint's own pool by default, or another (shards:PATTERN, synth:shapes) —
// so a checkpoint can be compared with another implementation (e.g. open_clip on the exported
// weights).
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <optional>

#include "cli/commands.h"
#include "config/document.h"
#include "core/error.h"
#include "data/image_tensor.h"
#include "data/loader.h"
#include "data/sample_source.h"
#include "eval/embedding.h"
#include "io/array_file.h"
#include "model/autocast.h"
#include "model/clip_model.h"
#include "spec/run_config.h"
#include "spec/source_spec.h"
#include "text/bpe_tokenizer.h"
#include "train/checkpoint.h"

namespace clipscale::cli {
namespace {

struct EmbedCommandOptions {
  std::string checkpoint;
  std::string data;  ///< "" : the checkpoint's data.source
  int64_t count = 64;
  uint64_t first_id = 0;
  std::optional<uint64_t> pool_seed;  ///< default: the checkpoint's data.pool_seed
  double noise_fraction = 0.0;
  std::string out;
  bool save_inputs = false;
  std::string precision = "fp32";
  int64_t batch_size = 256;
};

void run_embed(const EmbedCommandOptions& o) {
  if (o.count <= 0)
    throw core::UserError("--count " + std::to_string(o.count) + " violates count > 0. HINT: e.g. --count 64");
  if (o.batch_size <= 0)
    throw core::UserError("--batch-size " + std::to_string(o.batch_size) +
                          " violates batch_size > 0. HINT: e.g. --batch-size 256");
  const model::Precision precision = model::parse_precision(o.precision, "--precision");
  train::LoadedCheckpoint loaded = train::load_checkpoint(o.checkpoint);
  model::ClipModelImpl& clip = *loaded.model;
  clip.eval();
  std::vector<config::Problem> ignored;  // only data.source and data.pool_seed are read
  const spec::RunConfig run = spec::bind_run_config(config::Document::load_text(
      spec::run_config_schema(), loaded.run_config_toml, o.checkpoint + "/run_config.toml", &ignored));
  data::SourceOptions source_options;
  source_options.spec = o.data.empty() ? run.data.source : o.data;
  if (const auto problem = spec::check_source_spec(source_options.spec))
    throw core::UserError("--data " + source_options.spec + " violates " + problem->rule + ". HINT: " + problem->hint +
                          ".");
  source_options.image_size = clip.config().vision.image_size;
  source_options.seed = o.pool_seed.value_or(static_cast<uint64_t>(run.data.pool_seed));
  source_options.noise_fraction = o.noise_fraction;
  const auto source = data::open_source(source_options);
  if (o.first_id >= source->size() || static_cast<uint64_t>(o.count) > source->size() - o.first_id)
    throw core::UserError("--first-id " + std::to_string(o.first_id) + " + --count " + std::to_string(o.count) +
                          " violates first_id + count <= pool size (" + std::to_string(source->size()) + " in " +
                          source->describe() + "). HINT: lower --first-id or --count.");

  std::vector<data::Example> examples;
  std::vector<std::string> captions;
  std::vector<int64_t> ids;
  for (int64_t i = 0; i < o.count; ++i) {
    examples.push_back(source->get(o.first_id + static_cast<uint64_t>(i)));
    captions.push_back(examples.back().caption);
    ids.push_back(static_cast<int64_t>(examples.back().id));
  }
  std::vector<const std::vector<uint8_t>*> pixels;
  for (const auto& e : examples) pixels.push_back(&e.pixels);
  const at::Tensor images = data::images_to_tensor(pixels, source_options.image_size);
  const at::Tensor tokens = data::tokenize_batch(*loaded.tokenizer, captions, clip.config().text.context_length);

  const at::Tensor image_features = eval::embed_images(clip, images, precision, o.batch_size).contiguous();
  const at::Tensor text_features = eval::embed_tokens(clip, tokens, precision, o.batch_size).contiguous();

  io::ArrayFileWriter out(o.out);
  out.write_f32("image_embeddings", {image_features.size(0), image_features.size(1)}, image_features.data_ptr<float>());
  out.write_f32("text_embeddings", {text_features.size(0), text_features.size(1)}, text_features.data_ptr<float>());
  out.write_i64("ids", {o.count}, ids.data());
  out.write_strings("captions", captions);
  if (o.save_inputs) {
    const at::Tensor images_c = images.contiguous();
    out.write_f32("images", {images.size(0), images.size(1), images.size(2), images.size(3)},
                  images_c.data_ptr<float>());
    const at::Tensor tokens_c = tokens.contiguous();
    out.write_i64("tokens", {tokens.size(0), tokens.size(1)}, tokens_c.data_ptr<int64_t>());
  }
  out.set_attribute("run_id", loaded.meta.run_id);
  out.set_attribute("model", clip.config().name);
  out.set_attribute("model_config_json", clip.config().to_json());
  out.set_attribute("precision", o.precision);
  out.set_attribute("data", source->describe());
  out.set_attribute("logit_scale", clip.logit_scale.exp().item<double>());
  std::printf("wrote %s: %lld image and text embeddings of dim %lld\n", o.out.c_str(), static_cast<long long>(o.count),
              static_cast<long long>(image_features.size(1)));
}

}  // namespace

void setup_embed(CLI::App& app) {
  auto options = std::make_shared<EmbedCommandOptions>();
  CLI::App* sub = app.add_subcommand("embed", "write image and text embeddings of pool samples to HDF5");
  sub->add_option("checkpoint", options->checkpoint, "checkpoint directory")->required();
  sub->add_option("--data,--data.source", options->data,
                  "sample pool, any data.source: synth:shapes, shards:PATTERN (default: the checkpoint's)");
  sub->add_option("--count", options->count, "number of samples");
  sub->add_option("--first-id", options->first_id, "id of the first sample");
  sub->add_option("--pool-seed", options->pool_seed, "seed of the synthetic pool (default: the checkpoint's)");
  sub->add_option("--noise-fraction", options->noise_fraction, "share of noisy captions (default 0: clean)");
  sub->add_option("--out", options->out, "output HDF5 file")->required();
  sub->add_flag("--save-inputs", options->save_inputs, "also store the normalised images and the token ids");
  sub->add_option("--precision", options->precision, "fp32 or bf16")->check(CLI::IsMember({"fp32", "bf16"}));
  sub->add_option("--batch-size", options->batch_size, "samples per forward pass");
  sub->callback([options] { run_embed(*options); });
}

}  // namespace clipscale::cli
