#include "train/trainer.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <cmath>
#include <csignal>
#include <filesystem>
#include <mutex>
#include <optional>
#include <thread>

#include "core/env.h"
#include "core/error.h"
#include "core/failpoint.h"
#include "core/timer.h"
#include "data/eval_tasks.h"
#include "data/loader.h"
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

/// The run-file group holding the data problems of a run (final values only): samples left out
/// of the pool when it was opened ("excluded_<reason>") and scheduled samples the loaders replaced
/// ("replaced_<reason>", all ranks), per data/bad_sample.h.
constexpr const char* kLoaderGroup = "loader";

std::map<std::string, double> loader_metrics(const data::SkipCounts& excluded, const data::SkipCounts& replaced) {
  std::map<std::string, double> out = excluded.by_name("excluded_");
  for (const auto& [name, value] : replaced.by_name("replaced_")) out[name] = value;
  return out;
}

/// The run-file series of each evaluation task, and the loader group.
std::vector<io::EvalTaskLayout> eval_layouts(const std::vector<std::string>& tasks) {
  std::vector<io::EvalTaskLayout> out;
  for (const auto& name : tasks) {
    const data::EvalTaskSpec task = data::find_eval_task(name);  // a task file's name is its stem
    if (task.kind == data::EvalTaskKind::kRetrieval) {
      out.push_back({task.name,
                     {"image_to_text_r1", "image_to_text_r5", "image_to_text_r10", "text_to_image_r1",
                      "text_to_image_r5", "text_to_image_r10"}});
    } else {
      out.push_back({task.name, {"top1", "top5"}});
    }
  }
  io::EvalTaskLayout loader{kLoaderGroup, {}};
  for (const auto& [name, value] : loader_metrics({}, {})) loader.metrics.push_back(name);
  out.push_back(loader);
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
    data::EvalTaskOptions task_options;
    task_options.image_size = options.model.vision.image_size;
    task_options.synth_seed = options.source.seed;
    task_options.zeroshot_size = options.eval_zeroshot_size;
    task_options.retrieval_size = options.eval_retrieval_size;
    for (const auto& name : options.eval_tasks) {
      data::EvalTask task = data::load_eval_task(name, task_options);
      if (task.kind == data::EvalTaskKind::kRetrieval) {
        retrieval_.push_back(std::move(task.retrieval));
      } else {
        zero_shot_.push_back(std::move(task.zero_shot));
      }
    }
  }

  std::map<std::string, std::map<std::string, double>> run(model::ClipModelImpl& model) const {
    std::map<std::string, std::map<std::string, double>> results;
    for (const auto& task : zero_shot_) {
      const auto r = eval::evaluate_zero_shot(model, *tokenizer_, task, precision_);
      results[task.name] = {{"top1", r.top1}, {"top5", r.top5}};
    }
    for (const auto& task : retrieval_) {
      const auto r = eval::evaluate_retrieval(model, *tokenizer_, task, precision_);
      results[task.name] = {{"image_to_text_r1", r.image_to_text_r1}, {"image_to_text_r5", r.image_to_text_r5},
                            {"image_to_text_r10", r.image_to_text_r10}, {"text_to_image_r1", r.text_to_image_r1},
                            {"text_to_image_r5", r.text_to_image_r5}, {"text_to_image_r10", r.text_to_image_r10}};
    }
    return results;
  }

 private:
  std::shared_ptr<const text::BpeTokenizer> tokenizer_;
  model::Precision precision_;
  std::vector<data::ZeroShotTask> zero_shot_;
  std::vector<data::RetrievalTask> retrieval_;
};

void log_eval(int64_t samples, const std::map<std::string, std::map<std::string, double>>& results) {
  std::string line = "eval @ " + std::to_string(samples) + " samples";
  for (const auto& [task, metrics] : results) {
    if (metrics.count("image_to_text_r1") > 0) {
      line += fmt::format(" | {} i2t R@1 {:.3f} R@5 {:.3f} t2i R@1 {:.3f} R@5 {:.3f}", task,
                          metrics.at("image_to_text_r1"), metrics.at("image_to_text_r5"),
                          metrics.at("text_to_image_r1"), metrics.at("text_to_image_r5"));
    } else {
      line += fmt::format(" | {} top1 {:.3f} top5 {:.3f}", task, metrics.at("top1"), metrics.at("top5"));
    }
  }
  spdlog::info("{}", line);
}

volatile std::sig_atomic_t g_stop_signal = 0;

extern "C" void request_stop(int signal) { g_stop_signal = signal; }

/// SIGUSR1 and SIGTERM ask the run to stop after the current step (checkpoint, "preempted");
/// the previous handlers come back when the run ends.
class StopSignals {
 public:
  StopSignals() {
    g_stop_signal = 0;
    struct sigaction action {};
    action.sa_handler = request_stop;
    sigemptyset(&action.sa_mask);
    sigaction(SIGUSR1, &action, &old_usr1_);
    sigaction(SIGTERM, &action, &old_term_);
  }
  ~StopSignals() {
    sigaction(SIGUSR1, &old_usr1_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct sigaction old_usr1_ {};
  struct sigaction old_term_ {};
};

/// The newest complete training checkpoint of the run that reads back intact, checked on rank 0
/// and agreed by broadcast (every rank sees the same shared directory).
std::optional<std::pair<std::string, CheckpointMeta>> find_resume_point(const TrainOptions& options,
                                                                        dist::Communicator& comm) {
  const std::vector<std::string> candidates = complete_checkpoints(options.checkpoint_root());
  at::Tensor chosen = torch::full({1}, -1, torch::kLong);
  if (comm.rank() == 0) {
    for (size_t i = 0; i < candidates.size(); ++i) {
      try {
        verify_training_checkpoint(candidates[i]);
        chosen.fill_(static_cast<int64_t>(i));
        break;
      } catch (const core::UserError& e) {
        spdlog::warn("checkpoint {} cannot be used ({}); trying an older one", candidates[i], e.what());
      }
    }
  }
  comm.broadcast(chosen, 0);
  const int64_t index = chosen.item<int64_t>();
  if (index < 0) return std::nullopt;
  CLIPSCALE_CHECK_LT(index, static_cast<int64_t>(candidates.size()))
      << "rank " << comm.rank() << " sees fewer checkpoints in " << options.checkpoint_root() << " than rank 0";
  return std::make_pair(candidates[static_cast<size_t>(index)],
                        read_checkpoint_meta(candidates[static_cast<size_t>(index)]));
}

/// The rows of the run file up to a checkpoint, to carry into the resumed file.
struct CarriedRows {
  std::vector<io::TrainRecord> train;
  std::map<std::string, std::map<std::string, std::vector<double>>> eval;
};

CarriedRows rows_up_to(const std::string& run_file, const CheckpointMeta& meta) {
  CarriedRows rows;
  io::RunFile previous;
  try {
    previous = io::read_run_file(run_file);
  } catch (const std::exception& e) {
    spdlog::warn("run file {} cannot be read ({}); the resumed file starts at step {} without the earlier rows",
                 run_file, e.what(), meta.step);
    return rows;
  }
  for (const io::TrainRecord& record : previous.train)
    if (record.step <= meta.step) rows.train.push_back(record);
  for (const auto& [task, series] : previous.eval_series) {
    const auto samples = series.find("samples_seen");
    if (samples == series.end()) continue;
    for (size_t row = 0; row < samples->second.size(); ++row) {
      if (samples->second[row] > static_cast<double>(meta.samples_seen)) continue;
      for (const auto& [name, values] : series)
        if (row < values.size()) rows.eval[task][name].push_back(values[row]);
    }
  }
  return rows;
}

/// Every rank's CPU generator state, gathered (rank 0 writes them into the checkpoint).
std::vector<at::Tensor> gather_rng_states(dist::Communicator& comm) {
  at::Generator generator = at::detail::getDefaultCPUGenerator();
  at::Tensor mine;
  {
    std::lock_guard<std::mutex> lock(generator.mutex());
    mine = generator.get_state();
  }
  const at::Tensor all = comm.all_gather(mine.unsqueeze(0));
  std::vector<at::Tensor> states;
  for (int r = 0; r < comm.world_size(); ++r) states.push_back(all[r].clone());
  return states;
}

/// L2 norm of all gradients together (what clipping would scale).
double gradient_norm(const std::vector<at::Tensor>& parameters) {
  double sum = 0;
  for (const auto& p : parameters)
    if (p.grad().defined()) sum += p.grad().to(torch::kFloat64).pow(2).sum().item<double>();
  return std::sqrt(sum);
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
  return (std::filesystem::path(checkpoint_root()) / "final").string();
}

std::string TrainOptions::checkpoint_root() const {
  return (std::filesystem::path(output_dir) / run_name / "checkpoints" / run_id).string();
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
  const StopSignals stop_signals;
  std::optional<std::pair<std::string, CheckpointMeta>> resume;
  if (options.resume) resume = find_resume_point(options, comm);
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
  if (is_root && resume) {
    const CarriedRows rows = rows_up_to(options.run_file_path(), resume->second);
    writer.emplace(options.run_file_path(), header, eval_layouts(options.eval_tasks), rows.train, rows.eval);
  } else if (is_root) {
    writer.emplace(options.run_file_path(), header, eval_layouts(options.eval_tasks));
  }

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
    loader_options.workers = options.loader_workers;
    const CheckpointMeta start = resume ? resume->second : CheckpointMeta{};
    data::Loader loader(source, tokenizer, loader_options, start.loader_position);

    // Model (identical on every rank: rank 0's initial weights), optimiser, evaluation tasks.
    model::ClipModel clip(model_config);
    const std::vector<at::Tensor> parameters = clip->parameters();
    dist::broadcast_tensors(comm, parameters, 0);
    dist::GradientReducer reducer(comm, parameters, static_cast<int64_t>(options.bucket_mb * 1024 * 1024));
    auto optimizer = make_adamw(*clip, options.optim);
    if (resume) {
      restore_training_state(resume->first, *clip, *optimizer, comm.rank());
      spdlog::info("resuming from {}: step {}, {} samples seen", resume->first, start.step, start.samples_seen);
      result.resumed_from_step = start.step;
    }
    std::optional<Evaluator> evaluator;
    if (is_root) evaluator.emplace(options, tokenizer);
    clip->train();
    double last_loss = start.last_loss;
    int64_t nonfinite_total = start.nonfinite_steps, nonfinite_in_a_row = 0;
    // The next multiple of the interval after the start: a resumed run evaluates and checkpoints
    // where an uninterrupted one would.
    const auto next_multiple = [&](int64_t every) {
      return every > 0 ? (start.samples_seen / every + 1) * every : samples_target + 1;
    };
    int64_t next_eval = next_multiple(options.eval_every_samples);
    int64_t next_checkpoint = next_multiple(options.checkpoint_every_samples);
    // A training checkpoint of the state after `steps_done` steps, written by rank 0 with every
    // rank's RNG state (gathered by every rank beforehand).
    const auto write_checkpoint = [&](const std::string& dir, int64_t steps_done, std::vector<at::Tensor> rng_states) {
      if (!is_root) return;
      CheckpointMeta meta;
      meta.run_id = options.run_id;
      meta.step = steps_done;
      meta.samples_seen = steps_done * options.global_batch_size;
      meta.precision = model::precision_name(options.precision);
      meta.has_training_state = true;
      meta.loader_position = loader.position();
      meta.nonfinite_steps = nonfinite_total;
      meta.world_size = world;
      meta.last_loss = last_loss;
      save_checkpoint(dir, *clip, *tokenizer, resolved_config_toml, meta,
                      TrainingStateRefs{*optimizer, std::move(rng_states)});
    };
    core::Stopwatch interval;
    int64_t interval_steps = 0;
    for (int64_t step = start.step; step < total_steps; ++step) {
      core::Stopwatch step_timer;
      const double lr = learning_rate(options.optim, step, total_steps);
      set_learning_rate(*optimizer, lr);
      data::Batch batch = loader.next();

      optimizer->zero_grad();
      const double local_loss = forward_backward(*clip, batch.images, batch.tokens, comm, options.loss,
                                                 options.precision, options.grad_cache_chunk);
      core::failpoint("step");
      // The mean over ranks of the local losses and gradients is the full-batch loss and gradient;
      // a stop signal on any rank stops every rank after this step.
      reducer.average_gradients();
      at::Tensor shared = torch::tensor({local_loss, g_stop_signal != 0 ? 1.0 : 0.0}, torch::kFloat64);
      comm.all_reduce(shared, dist::ReduceOp::kSum);
      last_loss = shared[0].item<double>() / world;
      const bool stop = shared[1].item<double>() > 0;
      const double grad_norm = gradient_norm(parameters);
      if (std::isfinite(last_loss) && std::isfinite(grad_norm)) {
        if (options.optim.grad_clip_norm > 0) torch::nn::utils::clip_grad_norm_(parameters, options.optim.grad_clip_norm);
        optimizer->step();
        torch::NoGradGuard no_grad;
        clip->logit_scale.clamp_(0.0, model::kMaxLogitScale);
        nonfinite_in_a_row = 0;
      } else {
        // Skip the update: the weights and optimizer state stay as they were.
        ++nonfinite_total;
        ++nonfinite_in_a_row;
        spdlog::warn("step {}: loss {} and gradient norm {}: update skipped ({} in a row, {} in all)", step + 1,
                     last_loss, grad_norm, nonfinite_in_a_row, nonfinite_total);
        if (nonfinite_in_a_row >= options.max_nonfinite_steps)
          throw core::UserError("training diverged: " + std::to_string(nonfinite_in_a_row) +
                                " steps in a row had a non-finite loss or gradient (last at step " +
                                std::to_string(step + 1) + ", optim.lr = " + fmt::format("{:g}", options.optim.lr) +
                                "), the limit of train.max_nonfinite_steps. HINT: lower optim.lr, raise " +
                                "optim.warmup_samples, or set optim.grad_clip_norm = 1.0.");
      }
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
        // The next multiple of eval.every_samples past this step (the rule a resumed run uses too).
        while (next_eval <= samples) next_eval += options.eval_every_samples;
        interval.reset();
        interval_steps = 0;
      }
      const bool last_step = step + 1 == total_steps;
      if (stop || (samples >= next_checkpoint && !last_step)) {
        const std::string dir =
            (std::filesystem::path(options.checkpoint_root()) / step_checkpoint_name(step + 1)).string();
        write_checkpoint(dir, step + 1, gather_rng_states(comm));
        if (is_root) {
          prune_checkpoints(options.checkpoint_root(), options.checkpoint_keep);
          spdlog::info("checkpoint {}", dir);
        }
        while (next_checkpoint <= samples) next_checkpoint += std::max<int64_t>(options.checkpoint_every_samples, 1);
      }
      if (stop && !last_step) {
        spdlog::warn("stopping after step {} on a signal: checkpointed; the same command resumes the run", step + 1);
        result.preempted = true;
        result.steps = step + 1;
        result.samples_seen = samples;
        result.final_loss = last_loss;
        result.nonfinite_steps = nonfinite_total;
        if (writer) writer->finish(io::kRunStatusPreempted, {});
        return result;
      }
    }
    result.steps = total_steps;
    result.samples_seen = samples_target;
    result.final_loss = last_loss;
    result.nonfinite_steps = nonfinite_total;
    // Bad samples replaced on every rank (each counts its own slices).
    const auto& counts = loader.replaced().counts;
    at::Tensor replaced = torch::tensor(std::vector<double>(counts.begin(), counts.end()), torch::kFloat64);
    comm.all_reduce(replaced, dist::ReduceOp::kSum);
    data::SkipCounts replaced_total;
    for (size_t i = 0; i < replaced_total.counts.size(); ++i)
      replaced_total.counts[i] = static_cast<uint64_t>(replaced[static_cast<int64_t>(i)].item<double>());
    std::vector<at::Tensor> final_rng_states = gather_rng_states(comm);
    if (!is_root) return result;
    if (source->excluded().total() + replaced_total.total() > 0)
      spdlog::warn("bad data: left out of the pool: {}; replaced while training: {}", source->excluded().summary(),
                   replaced_total.summary());
    result.final_metrics = evaluator->run(*clip);
    for (const auto& [task, metrics] : result.final_metrics) writer->append_eval(task, samples_target, metrics);
    log_eval(samples_target, result.final_metrics);
    if (options.save_final_checkpoint) {
      result.checkpoint_dir = options.checkpoint_dir();
      write_checkpoint(result.checkpoint_dir, total_steps, std::move(final_rng_states));
      spdlog::info("checkpoint {}", result.checkpoint_dir);
    }
    auto final_values = result.final_metrics;
    final_values[kLoaderGroup] = loader_metrics(source->excluded(), replaced_total);
    writer->finish(io::kRunStatusDone, final_values);
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
