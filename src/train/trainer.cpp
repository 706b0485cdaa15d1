#include "train/trainer.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <optional>
#include <thread>

#include "core/env.h"
#include "core/error.h"
#include "core/timer.h"
#include "data/loader.h"
#include "data/synth_shapes.h"
#include "data/synth_tasks.h"
#include "data/vocabulary.h"
#include "dist/communicator.h"
#include "dist/gradient_reducer.h"
#include "eval/retrieval.h"
#include "eval/zero_shot.h"
#include "io/run_file.h"
#include "model/clip_model.h"
#include "model/flops.h"
#include "text/bpe_tokenizer.h"
#include "train/checkpoint.h"

namespace clipscale::train {
namespace {

/// The run-file series of each evaluation task.
std::vector<io::EvalTaskLayout> eval_layouts(const std::vector<std::string>& tasks) {
  std::vector<io::EvalTaskLayout> out;
  for (const auto& task : tasks) {
    if (task == "retrieval") {
      out.push_back({task,
                     {"image_to_text_r1", "image_to_text_r5", "image_to_text_r10", "text_to_image_r1",
                      "text_to_image_r5", "text_to_image_r10"}});
    } else {
      out.push_back({task, {"top1", "top5"}});
    }
  }
  return out;
}

/// Refuses to overwrite a finished run: the same config is the same run id, so a finished file
/// means the work is done. Unreadable or unfinished files are replaced.
void refuse_to_overwrite_done(const std::string& path) {
  if (!std::filesystem::exists(path)) return;
  std::string status;
  try {
    status = io::read_run_file(path).status;
  } catch (const std::exception&) {
    return;
  }
  if (status == io::kRunStatusDone)
    throw core::UserError("run file " + path + " already holds a finished run (status \"done\") of this config. " +
                          "HINT: delete it to train again, or change run.name or run.seed for another run.");
}

/// The evaluation tasks of a run, built once (they are deterministic) and scored at each eval.
class Evaluator {
 public:
  Evaluator(const TrainOptions& options, std::shared_ptr<const text::BpeTokenizer> tokenizer)
      : tokenizer_(std::move(tokenizer)), precision_(options.precision) {
    data::SynthOptions synth_options;
    synth_options.image_size = options.model.vision.image_size;
    synth_options.seed = options.source.seed;
    synth_options.noise_fraction = 0.0;
    const data::SynthShapes synth(synth_options);
    for (const auto& name : options.eval_tasks) {
      if (name == "retrieval") {
        retrieval_ = data::make_retrieval_task(synth, options.eval_retrieval_size);
      } else {
        zero_shot_.push_back(data::make_zero_shot_task(synth, name, options.eval_zeroshot_size));
      }
    }
  }

  std::map<std::string, std::map<std::string, double>> run(model::ClipModelImpl& model) const {
    std::map<std::string, std::map<std::string, double>> results;
    for (const auto& task : zero_shot_) {
      const auto r = eval::evaluate_zero_shot(model, *tokenizer_, task, precision_);
      results[task.name] = {{"top1", r.top1}, {"top5", r.top5}};
    }
    if (retrieval_) {
      const auto r = eval::evaluate_retrieval(model, *tokenizer_, *retrieval_, precision_);
      results["retrieval"] = {{"image_to_text_r1", r.image_to_text_r1}, {"image_to_text_r5", r.image_to_text_r5},
                              {"image_to_text_r10", r.image_to_text_r10}, {"text_to_image_r1", r.text_to_image_r1},
                              {"text_to_image_r5", r.text_to_image_r5}, {"text_to_image_r10", r.text_to_image_r10}};
    }
    return results;
  }

 private:
  std::shared_ptr<const text::BpeTokenizer> tokenizer_;
  model::Precision precision_;
  std::vector<data::ZeroShotTask> zero_shot_;
  std::optional<data::RetrievalTask> retrieval_;
};

void log_eval(int64_t samples, const std::map<std::string, std::map<std::string, double>>& results) {
  std::string line = "eval @ " + std::to_string(samples) + " samples";
  for (const auto& [task, metrics] : results) {
    if (task == "retrieval") {
      line += fmt::format(" | retrieval i2t R@1 {:.3f} R@5 {:.3f} t2i R@1 {:.3f} R@5 {:.3f}",
                          metrics.at("image_to_text_r1"), metrics.at("image_to_text_r5"),
                          metrics.at("text_to_image_r1"), metrics.at("text_to_image_r5"));
    } else {
      line += fmt::format(" | {} top1 {:.3f} top5 {:.3f}", task, metrics.at("top1"), metrics.at("top5"));
    }
  }
  spdlog::info("{}", line);
}

/// Intra-op threads of this rank: train.threads, or the cores this process may run on, shared
/// with the other ranks of this host when the launcher did not bind each rank to its own cores.
int threads_for_rank(int64_t requested, const dist::Communicator& comm) {
  if (requested > 0) return static_cast<int>(requested);
  const int cores = core::available_cores();
  const int hardware = static_cast<int>(std::thread::hardware_concurrency());
  if (comm.local_world_size() > 1 && cores >= hardware) return std::max(1, cores / comm.local_world_size());
  return cores;
}

/// SigLIP needs a logit bias; a model JSON without one gets SigLIP's initialisation (scale ln 10,
/// bias −10, as OpenCLIP's --siglip does). InfoNCE must not have one.
model::ClipConfig model_for_loss(model::ClipConfig config, const LossOptions& loss) {
  if (loss.type == LossType::kSigLip && !config.init_logit_bias) {
    config.init_logit_scale = std::log(10.0);
    config.init_logit_bias = -10.0;
  }
  if (loss.type == LossType::kInfoNce && config.init_logit_bias)
    throw core::UserError("model " + config.name + " has init_logit_bias (a SigLIP model) but loss.type = \"infonce\". " +
                          "HINT: set loss.type = \"siglip\", or remove init_logit_bias from the model JSON.");
  return config;
}

}  // namespace

std::string TrainOptions::run_file_path() const {
  return (std::filesystem::path(output_dir) / run_name / "runs" / (run_id + ".h5")).string();
}

std::string TrainOptions::checkpoint_dir() const {
  return (std::filesystem::path(output_dir) / run_name / "checkpoints" / run_id / "final").string();
}

TrainResult run_training(const TrainOptions& options, const std::string& resolved_config_toml) {
  const auto comm = dist::make_local_communicator();
  return run_training(options, resolved_config_toml, *comm);
}

TrainResult run_training(const TrainOptions& options, const std::string& resolved_config_toml,
                         dist::Communicator& comm) {
  CLIPSCALE_CHECK(!options.run_id.empty());
  CLIPSCALE_CHECK_GT(options.samples_seen, 0);
  const int world = comm.world_size();
  const bool is_root = comm.rank() == 0;
  if (options.global_batch_size % world != 0)
    throw core::UserError("train.global_batch_size = " + std::to_string(options.global_batch_size) +
                          " violates global_batch_size % ranks == 0 with " + std::to_string(world) +
                          " ranks. HINT: use a multiple of " + std::to_string(world) + ", or change the rank count.");
  const int64_t local_batch = options.global_batch_size / world;
  // Debian's LibTorch starts with one intra-op thread; 0 means every core this rank may use.
  torch::set_num_threads(threads_for_rank(options.threads, comm));
  torch::manual_seed(options.seed);
  const model::ClipConfig model_config = model_for_loss(options.model, options.loss);

  const int64_t total_steps = options.total_steps();
  const int64_t samples_target = total_steps * options.global_batch_size;
  if (samples_target != options.samples_seen)
    spdlog::warn("train.samples_seen = {} is not a multiple of train.global_batch_size = {}; training {} samples",
                 options.samples_seen, options.global_batch_size, samples_target);
  data::SourceOptions source_options = options.source;
  source_options.image_size = options.model.vision.image_size;
  std::shared_ptr<const data::SampleSource> source = data::open_source(source_options);

  // The run file comes first, so that any later failure is recorded in it as "failed". Rank 0
  // owns it; the other ranks only train.
  if (is_root) refuse_to_overwrite_done(options.run_file_path());
  const auto params = model::parameters_from_shape(model_config);
  const auto flops = model::forward_flops_per_sample(model_config);
  io::RunHeader header;
  header.run_id = options.run_id;
  header.config_toml = resolved_config_toml;
  header.git_sha = core::build_git_sha();
  header.variant = options.variant;
  header.params_image = params.image;
  header.params_text = params.text;
  header.params_total = params.total;
  header.flops_per_sample = flops.total();
  header.samples_seen_target = samples_target;
  header.data_size = static_cast<int64_t>(options.data_size);
  header.seed = static_cast<int64_t>(options.seed);
  header.world_size = world;
  header.extra_string_attrs = {{"model", options.model.name}, {"sweep", options.run_name},
                               {"precision", model::precision_name(options.precision)},
                               {"data_source", source->describe()}, {"clipscale_version", core::build_version()},
                               {"loss", loss_name(options.loss)}, {"dist_backend", comm.backend()}};
  header.extra_number_attrs = {{"flops_per_sample_image", flops.image},
                               {"flops_per_sample_text", flops.text},
                               {"compute_flops", 3.0 * flops.total() * static_cast<double>(samples_target)},
                               {"global_batch_size", static_cast<double>(options.global_batch_size)},
                               {"grad_cache_chunk", static_cast<double>(options.grad_cache_chunk)}};
  std::optional<io::RunWriter> writer;
  if (is_root) writer.emplace(options.run_file_path(), header, eval_layouts(options.eval_tasks));

  spdlog::info("run {} | model {} | {:.2f}M params (image {:.2f}M, text {:.2f}M) | {:.3g} GFLOP/sample fwd",
               options.run_id, options.model.name, params.total / 1e6, params.image / 1e6, params.text / 1e6,
               flops.total() / 1e9);
  spdlog::info("data {} | D = {} | S = {} | batch {} ({} ranks × {}) | {} steps | {} | {} | {} threads/rank",
               source->describe(), options.data_size, samples_target, options.global_batch_size, world, local_batch,
               total_steps, model::precision_name(options.precision), loss_name(options.loss),
               torch::get_num_threads());
  if (options.grad_cache_chunk > 0 && options.grad_cache_chunk < local_batch)
    spdlog::info("gradient caching: chunks of {} rows ({} per rank and step)", options.grad_cache_chunk,
                 (local_batch + options.grad_cache_chunk - 1) / options.grad_cache_chunk);
  spdlog::info("run file {}", options.run_file_path());

  TrainResult result;
  result.run_file = options.run_file_path();
  try {
    // Data: the D-subset of the pool and the tokenizer.
    std::shared_ptr<const text::BpeTokenizer> tokenizer = data::load_vocabulary(
        options.vocab, source_options, options.model.text.vocab_size, options.vocab_corpus);
    data::LoaderOptions loader_options;
    loader_options.data_size = options.data_size;
    loader_options.seed = options.seed;
    loader_options.global_batch_size = options.global_batch_size;
    loader_options.rank = comm.rank();
    loader_options.world_size = world;
    loader_options.context_length = options.model.text.context_length;
    loader_options.prefetch_batches = options.prefetch_batches;
    data::Loader loader(source, tokenizer, loader_options);

    // Model (identical on every rank: rank 0's initial weights), optimiser, evaluation tasks.
    model::ClipModel clip(model_config);
    const std::vector<at::Tensor> parameters = clip->parameters();
    dist::broadcast_tensors(comm, parameters, 0);
    dist::GradientReducer reducer(comm, parameters, static_cast<int64_t>(options.bucket_mb * 1024 * 1024));
    auto optimizer = make_adamw(*clip, options.optim);
    std::optional<Evaluator> evaluator;
    if (is_root) evaluator.emplace(options, tokenizer);
    clip->train();
    double last_loss = 0;
    int64_t next_eval = options.eval_every_samples > 0 ? options.eval_every_samples : samples_target + 1;
    core::Stopwatch interval;
    int64_t interval_steps = 0;
    for (int64_t step = 0; step < total_steps; ++step) {
      core::Stopwatch step_timer;
      const double lr = learning_rate(options.optim, step, total_steps);
      set_learning_rate(*optimizer, lr);
      data::Batch batch = loader.next();

      optimizer->zero_grad();
      const double local_loss = forward_backward(*clip, batch.images, batch.tokens, comm, options.loss,
                                                 options.precision, options.grad_cache_chunk);
      // The mean over ranks of the local losses and gradients is the full-batch loss and gradient.
      reducer.average_gradients();
      at::Tensor loss_value = torch::full({1}, local_loss, torch::kFloat64);
      comm.all_reduce(loss_value, dist::ReduceOp::kAvg);
      if (options.optim.grad_clip_norm > 0) torch::nn::utils::clip_grad_norm_(parameters, options.optim.grad_clip_norm);
      optimizer->step();
      {
        torch::NoGradGuard no_grad;
        clip->logit_scale.clamp_(0.0, model::kMaxLogitScale);
      }
      last_loss = loss_value.item<double>();
      if (!std::isfinite(last_loss))
        throw core::UserError("training diverged: the loss became " + std::to_string(last_loss) + " at step " +
                              std::to_string(step + 1) + " with optim.lr = " + fmt::format("{:g}", options.optim.lr) +
                              ". HINT: lower optim.lr, raise optim.warmup_samples, or set optim.grad_clip_norm = 1.0.");
      const double step_seconds = step_timer.seconds();
      const int64_t samples = (step + 1) * options.global_batch_size;
      const double scale = clip->logit_scale.exp().item<double>();
      io::TrainRecord record;
      record.step = step + 1;
      record.samples_seen = samples;
      record.loss = last_loss;
      record.lr = lr;
      record.logit_scale = scale;
      record.samples_per_s = static_cast<double>(options.global_batch_size) / step_seconds;
      record.data_wait_s = batch.wait_seconds;
      if (writer) writer->append_train(record);
      ++interval_steps;
      if ((step + 1) % options.log_every_steps == 0 || step + 1 == total_steps) {
        const double mean_step = interval.seconds() / static_cast<double>(interval_steps);
        spdlog::info("step {}/{} | loss {:.4f} | scale {:.1f} | lr {:.2e} | {:.0f} ms | {:.0f} img/s | wait {:.1f} ms",
                     step + 1, total_steps, last_loss, scale, lr, mean_step * 1e3,
                     static_cast<double>(options.global_batch_size) / mean_step, batch.wait_seconds * 1e3);
        interval.reset();
        interval_steps = 0;
      }
      if (samples >= next_eval && step + 1 < total_steps) {
        if (evaluator) {
          const auto results = evaluator->run(*clip);
          for (const auto& [task, metrics] : results) writer->append_eval(task, samples, metrics);
          log_eval(samples, results);
        }
        next_eval += options.eval_every_samples;
        interval.reset();
        interval_steps = 0;
      }
    }
    result.steps = total_steps;
    result.samples_seen = samples_target;
    result.final_loss = last_loss;
    if (!is_root) return result;
    result.final_metrics = evaluator->run(*clip);
    for (const auto& [task, metrics] : result.final_metrics) writer->append_eval(task, samples_target, metrics);
    log_eval(samples_target, result.final_metrics);
    if (options.save_final_checkpoint) {
      CheckpointMeta meta;
      meta.run_id = options.run_id;
      meta.step = total_steps;
      meta.samples_seen = samples_target;
      meta.precision = model::precision_name(options.precision);
      result.checkpoint_dir = options.checkpoint_dir();
      save_checkpoint(result.checkpoint_dir, *clip, *tokenizer, resolved_config_toml, meta);
      spdlog::info("checkpoint {}", result.checkpoint_dir);
    }
    writer->finish(io::kRunStatusDone, result.final_metrics);
  } catch (...) {
    try {
      if (writer) writer->finish(io::kRunStatusFailed, {});
    } catch (const std::exception& e) {
      spdlog::warn("could not mark {} failed: {}", options.run_file_path(), e.what());
    }
    throw;
  }
  return result;
}

}  // namespace clipscale::train
