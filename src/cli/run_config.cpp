#include "cli/run_config.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "data/eval_tasks.h"
#include "data/sample_source.h"
#include "data/synth_tasks.h"
#include "model/autocast.h"
#include "model/model_config.h"
#include "sweep/run_id.h"

namespace clipscale::cli {

const config::Schema& run_config_schema() {
  static const config::Schema schema = [] {
    config::Schema s;
    s.add_string("run.name", "default", "results go to <run.output_dir>/<run.name>/")
        .add_string("run.output_dir", "results", "root folder of all results")
        .add_int("run.seed", 0, "seed of model initialisation and data order", 0.0)
        .add_string("model.config", std::nullopt, "OpenCLIP-schema model JSON, e.g. experiments/models/clip-w128-l4.json")
        .add_string("data.source", "synth:shapes",
                    "sample pool: synth:shapes, or shards:PATTERN for WebDataset tar shards (README, Real data)")
        .add_int("data.pool_seed", 0, "seed of the synthetic pool itself (which samples exist)", 0.0)
        .add_float("data.noise_fraction", 0.2, "share of captions replaced by web-like noise", 0.0, 1.0)
        .add_int("data.pool_size", int64_t{1} << 32, "samples in the pool", 1.0)
        .add_int("data.data_size", std::nullopt, "D: unique samples trained on (the first D of a seeded permutation)", 1.0)
        .add_string("data.variant", "base", "name of the dataset variant (curation method)")
        .add_string("data.vocab", "builtin:synth",
                    "tokenizer merges file, builtin:synth, or builtin:pool (trained on data.source's captions)")
        .add_int("data.vocab_corpus", 20000, "captions used to train builtin:synth", 100.0)
        .add_int("train.samples_seen", std::nullopt, "S: training length in samples (rounded up to whole batches)", 1.0)
        .add_int("train.global_batch_size", 128, "samples per optimizer step, all ranks together", 2.0)
        .add_string("train.precision", "bf16", "fp32, or bf16 autocast (AMX on recent Xeons)", {"fp32", "bf16"})
        .add_int("train.threads", 0, "intra-op threads; 0 uses every core", 0.0)
        .add_int("train.log_every_steps", 10, "steps between log lines", 1.0)
        .add_int("train.prefetch_batches", 2, "batches decoded ahead by the loader thread", 0.0)
        .add_int("train.loader_workers", 1, "loader threads decoding and augmenting batches", 1.0)
        .add_int("train.grad_cache_chunk", 0, "rows per gradient-caching chunk on each rank; 0 turns caching off", 0.0)
        .add_string("loss.type", "infonce", "contrastive loss: infonce (CLIP) or siglip (sigmoid, with a logit bias)",
                    {"infonce", "siglip"})
        .add_string("loss.logits", "local",
                    "InfoNCE logits per rank: local (B x N, labels offset by rank) or full (N x N on every rank)",
                    {"local", "full"})
        .add_string("dist.backend", "auto", "communicator: auto (mpi under mpirun/srun, else local), local, mpi, nccl",
                    {"auto", "local", "mpi", "nccl"})
        .add_float("dist.bucket_mb", 25.0, "gradient all-reduce bucket size in MiB", 0.0, std::nullopt, true)
        .add_float("optim.lr", 5e-4, "peak learning rate after warm-up", 0.0, std::nullopt, true)
        .add_float("optim.weight_decay", 0.2, "AdamW weight decay on matrices and embeddings", 0.0)
        .add_float("optim.beta1", 0.9, "AdamW beta1", 0.0, 0.999999)
        .add_float("optim.beta2", 0.98, "AdamW beta2", 0.0, 0.999999)
        .add_float("optim.eps", 1e-6, "AdamW epsilon", 0.0, std::nullopt, true)
        .add_int("optim.warmup_samples", 0, "linear warm-up length in samples", 0.0)
        .add_string("optim.schedule", "cosine", "learning-rate schedule after warm-up", {"cosine", "const"})
        .add_float("optim.grad_clip_norm", 0.0, "global gradient-norm clip; 0 disables", 0.0)
        .add_string_list("eval.tasks", data::synth_task_names(),
                         "evaluation tasks: built in (zeroshot_shape, zeroshot_color, retrieval) or task files "
                         "experiments/evals/<name>.toml")
        .add_int("eval.every_samples", 0, "samples between evaluations; 0 evaluates only at the end", 0.0)
        .add_int("eval.zeroshot_size", 1200, "images per zero-shot task", 8.0)
        .add_int("eval.retrieval_size", 1000, "image-text pairs in the retrieval task", 10.0)
        .add_bool("checkpoint.save_final", true, "write a checkpoint at the end of training")
        .add_int("checkpoint.every_samples", 0,
                 "samples between training checkpoints (model, optimizer, loader, RNG); 0: only the final one", 0.0)
        .add_int("checkpoint.keep", 2, "newest periodic checkpoints kept", 1.0)
        .add_bool("checkpoint.resume", true, "continue from the newest complete checkpoint of the same run id")
        .add_int("train.max_nonfinite_steps", 10,
                 "steps in a row with a non-finite loss or gradient (each skipped) before the run fails", 1.0);
    return s;
  }();
  return schema;
}

config::Document load_run_config(const std::string& path, const std::vector<std::string>& overrides) {
  config::Document doc = config::Document::load(run_config_schema(), path, overrides);
  std::vector<std::string> problems;
  if (doc.get_int("data.data_size") > doc.get_int("data.pool_size"))
    problems.push_back(doc.violation("data.data_size", "data_size <= data.pool_size (" +
                                                           std::to_string(doc.get_int("data.pool_size")) + ")",
                                     "lower data.data_size or raise data.pool_size"));
  // The model JSON is part of the config: a bad file is reported against model.config.
  try {
    model::ClipConfig::from_file(doc.get_string("model.config"));
  } catch (const core::UserError& e) {
    problems.push_back(doc.violation("model.config", std::string("a readable OpenCLIP model config (") + e.what() + ")",
                                     "see experiments/models/ for the built-in family"));
  }
  if (const auto problem = data::check_source_spec(doc.get_string("data.source")))
    problems.push_back(doc.violation("data.source", problem->rule, problem->hint));
  for (const auto& task : doc.get_string_list("eval.tasks"))
    if (const auto problem = data::check_eval_task(task))
      problems.push_back(doc.violation("eval.tasks", problem->rule, problem->hint));
  const auto& tasks = doc.get_string_list("eval.tasks");
  for (size_t i = 0; i < tasks.size(); ++i)
    if (std::find(tasks.begin(), tasks.begin() + static_cast<std::ptrdiff_t>(i), tasks[i]) != tasks.begin() + static_cast<std::ptrdiff_t>(i))
      problems.push_back(doc.violation("eval.tasks", "each task at most once (\"" + tasks[i] + "\" is listed twice)",
                                       "remove the repeated task"));
  const int64_t batch = doc.get_int("train.global_batch_size");
  const int64_t samples = doc.get_int("train.samples_seen");
  if (samples < batch)
    problems.push_back(doc.violation("train.samples_seen", "samples_seen >= train.global_batch_size (" +
                                                               std::to_string(batch) + ")",
                                     "train at least one full batch"));
  if (!problems.empty()) {
    std::string message;
    for (const auto& p : problems) message += (message.empty() ? "" : "\n") + p;
    throw core::UserError(message);
  }
  return doc;
}

std::string run_id_of(const config::Document& document) {
  // One definition for training and sweep planning (sweep/run_id.h lists the ignored keys).
  const model::ClipConfig model = model::ClipConfig::from_file(document.get_string("model.config"));
  return sweep::run_id(document, model.name, model.to_json());
}

train::TrainOptions train_options_from(const config::Document& doc) {
  train::TrainOptions o;
  o.run_id = run_id_of(doc);
  o.run_name = doc.get_string("run.name");
  o.output_dir = doc.get_string("run.output_dir");
  o.seed = static_cast<uint64_t>(doc.get_int("run.seed"));
  o.model = model::ClipConfig::from_file(doc.get_string("model.config"));
  o.source.spec = doc.get_string("data.source");
  o.source.seed = static_cast<uint64_t>(doc.get_int("data.pool_seed"));
  o.source.noise_fraction = doc.get_float("data.noise_fraction");
  o.source.pool_size = static_cast<uint64_t>(doc.get_int("data.pool_size"));
  o.source.image_size = o.model.vision.image_size;
  o.data_size = static_cast<uint64_t>(doc.get_int("data.data_size"));
  o.variant = doc.get_string("data.variant");
  o.vocab = doc.get_string("data.vocab");
  o.vocab_corpus = doc.get_int("data.vocab_corpus");
  o.samples_seen = doc.get_int("train.samples_seen");
  o.global_batch_size = doc.get_int("train.global_batch_size");
  o.precision = model::parse_precision(doc.get_string("train.precision"));
  o.threads = doc.get_int("train.threads");
  o.log_every_steps = doc.get_int("train.log_every_steps");
  o.prefetch_batches = doc.get_int("train.prefetch_batches");
  o.loader_workers = doc.get_int("train.loader_workers");
  o.grad_cache_chunk = doc.get_int("train.grad_cache_chunk");
  o.loss.type = train::parse_loss_type(doc.get_string("loss.type"));
  o.loss.logits = train::parse_logits_mode(doc.get_string("loss.logits"));
  o.bucket_mb = doc.get_float("dist.bucket_mb");
  o.optim.lr = doc.get_float("optim.lr");
  o.optim.weight_decay = doc.get_float("optim.weight_decay");
  o.optim.beta1 = doc.get_float("optim.beta1");
  o.optim.beta2 = doc.get_float("optim.beta2");
  o.optim.eps = doc.get_float("optim.eps");
  o.optim.schedule = doc.get_string("optim.schedule");
  o.optim.grad_clip_norm = doc.get_float("optim.grad_clip_norm");
  o.warmup_samples = doc.get_int("optim.warmup_samples");
  o.optim.warmup_steps = (o.warmup_samples + o.global_batch_size - 1) / o.global_batch_size;
  o.eval_tasks = doc.get_string_list("eval.tasks");
  o.eval_every_samples = doc.get_int("eval.every_samples");
  o.eval_zeroshot_size = doc.get_int("eval.zeroshot_size");
  o.eval_retrieval_size = doc.get_int("eval.retrieval_size");
  o.save_final_checkpoint = doc.get_bool("checkpoint.save_final");
  o.checkpoint_every_samples = doc.get_int("checkpoint.every_samples");
  o.checkpoint_keep = doc.get_int("checkpoint.keep");
  o.resume = doc.get_bool("checkpoint.resume");
  o.max_nonfinite_steps = doc.get_int("train.max_nonfinite_steps");
  return o;
}

}  // namespace clipscale::cli
