#include "train/trainer.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <cmath>
#include <csignal>
#include <filesystem>
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
#include "eval/evaluator.h"
#include "io/run_file.h"
#include "model/autocast.h"
#include "model/clip_model.h"
#include "spec/run_id.h"
#include "text/bpe_tokenizer.h"
#include "train/checkpoint.h"
#include "train/grad_cache.h"
#include "train/loss.h"
#include "train/optimizer.h"
#include "train/resume.h"

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

/// The run-file series: each evaluation task's, and the loader group.
std::vector<io::EvalTaskLayout> run_file_layouts(const std::vector<std::string>& tasks) {
  std::vector<io::EvalTaskLayout> out = eval::eval_task_layouts(tasks);
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

OptimizerOptions optimizer_options(const spec::RunConfig::Optim& optim, const spec::RunBudget& budget) {
  OptimizerOptions o;
  o.lr = optim.lr;
  o.weight_decay = optim.weight_decay;
  o.beta1 = optim.beta1;
  o.beta2 = optim.beta2;
  o.eps = optim.eps;
  o.schedule = optim.schedule;
  o.grad_clip_norm = optim.grad_clip_norm;
  o.warmup_steps = budget.warmup_steps;
  return o;
}

/// One run on one rank, phase by phase. The constructor is the set-up; run() is the loop.
class TrainingRun {
 public:
  TrainingRun(const TrainOptions& options, const std::string& resolved_config_toml, dist::Communicator& comm);
  TrainResult run();

 private:
  struct StepOutcome {
    bool stop = false;  ///< a stop signal arrived on some rank
    int64_t samples = 0;
  };

  void resume();
  void open_run_file();
  void log_start() const;
  void build();
  StepOutcome step(int64_t step);
  void record_step(int64_t step, double lr, double seconds, const data::Batch& batch);
  void apply_update(int64_t step, double grad_norm);
  void evaluate(int64_t samples);
  void checkpoint(int64_t steps_done);
  void write_checkpoint(const std::string& dir, int64_t steps_done, std::vector<at::Tensor> rng_states);
  TrainResult stop_preempted(int64_t steps_done);
  TrainResult finish();
  TrainResult result_after(int64_t steps_done) const;

  const TrainOptions& options_;
  const spec::RunConfig& config_;
  const std::string& resolved_toml_;
  dist::Communicator& comm_;
  const int world_;
  const bool is_root_;
  const spec::RunBudget budget_;
  const int64_t local_batch_;
  const model::Precision precision_;
  const LossOptions loss_;
  const spec::ClipConfig model_config_;
  const OptimizerOptions optim_;

  data::SourceOptions source_options_;
  std::shared_ptr<const data::SampleSource> source_;
  std::optional<ResumePoint> resume_;
  CheckpointMeta start_;  ///< where training starts (step 0, or the resumed checkpoint)
  std::optional<io::RunWriter> writer_;
  std::shared_ptr<const text::BpeTokenizer> tokenizer_;
  std::optional<data::Loader> loader_;
  model::ClipModel clip_{nullptr};
  std::vector<at::Tensor> parameters_;
  std::optional<dist::GradientReducer> reducer_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::optional<eval::Evaluator> evaluator_;

  double last_loss_ = 0;
  int64_t nonfinite_total_ = 0;
  int64_t nonfinite_in_a_row_ = 0;
  int64_t next_eval_ = 0;
  int64_t next_checkpoint_ = 0;
  core::Stopwatch interval_;
  int64_t interval_steps_ = 0;
};

// --- set-up ---------------------------------------------------------------------------------

TrainingRun::TrainingRun(const TrainOptions& options, const std::string& resolved_config_toml, dist::Communicator& comm)
    : options_(options),
      config_(options.config),
      resolved_toml_(resolved_config_toml),
      comm_(comm),
      world_(comm.world_size()),
      is_root_(comm.rank() == 0),
      budget_(options.budget()),
      local_batch_(options.config.train.global_batch_size / std::max(1, comm.world_size())),
      precision_(model::parse_precision(options.config.train.precision)),
      loss_(loss_options(options.config.loss)),
      model_config_(model_for_loss(options.model, loss_)),
      optim_(optimizer_options(options.config.optim, budget_)) {
  CLIPSCALE_CHECK(!options.run_id.empty());
  CLIPSCALE_CHECK_GT(config_.train.samples_seen, 0);
  const int64_t batch = config_.train.global_batch_size;
  if (batch % world_ != 0)
    throw core::UserError("train.global_batch_size = " + std::to_string(batch) +
                          " violates global_batch_size % ranks == 0 with " + std::to_string(world_) +
                          " ranks. HINT: use a multiple of " + std::to_string(world_) + ", or change the rank count.");
  // Debian's LibTorch starts with one intra-op thread; 0 means every core this rank may use.
  torch::set_num_threads(threads_for_rank(config_.train.threads, comm_));
  // The seed comes before anything that draws random numbers: the model's initial weights.
  torch::manual_seed(config_.run.seed);
  if (budget_.samples_target != config_.train.samples_seen)
    spdlog::warn("train.samples_seen = {} is not a multiple of train.global_batch_size = {}; training {} samples",
                 config_.train.samples_seen, batch, budget_.samples_target);
  source_options_ = data::source_options(config_.data, options.model.vision.image_size);
  source_ = data::open_source(source_options_);
}

// --- resume ---------------------------------------------------------------------------------

void TrainingRun::resume() {
  if (config_.checkpoint.resume) resume_ = find_resume_point(options_.checkpoint_root(), comm_);
  if (resume_) start_ = resume_->meta;
  last_loss_ = start_.last_loss;
  nonfinite_total_ = start_.nonfinite_steps;
  // A resumed run evaluates and checkpoints where an uninterrupted one would: at the next
  // multiple of the interval after its start.
  next_eval_ = next_multiple(start_.samples_seen, config_.eval.every_samples, budget_.samples_target + 1);
  next_checkpoint_ = next_multiple(start_.samples_seen, config_.checkpoint.every_samples, budget_.samples_target + 1);
}

// --- the run file (rank 0) ------------------------------------------------------------------

void TrainingRun::open_run_file() {
  if (!is_root_) return;
  io::RunHeader header;
  header.run_id = options_.run_id;
  header.config_toml = resolved_toml_;
  header.git_sha = core::build_git_sha();
  header.variant = config_.data.variant;
  header.params_image = budget_.params.image;
  header.params_text = budget_.params.text;
  header.params_total = budget_.params.total;
  header.flops_per_sample = budget_.flops.total();
  header.samples_seen_target = budget_.samples_target;
  header.data_size = config_.data.data_size;
  header.seed = config_.run.seed;
  header.world_size = world_;
  header.extra_string_attrs = {{"model", options_.model.name},
                               {"sweep", config_.run.name},
                               {"precision", model::precision_name(precision_)},
                               {"data_source", source_->describe()},
                               {"clipscale_version", core::build_version()},
                               {"loss", loss_name(loss_)},
                               {"dist_backend", comm_.backend()}};
  header.extra_number_attrs = {{"flops_per_sample_image", budget_.flops.image},
                               {"flops_per_sample_text", budget_.flops.text},
                               {"compute_flops", budget_.compute()},
                               {"global_batch_size", static_cast<double>(config_.train.global_batch_size)},
                               {"grad_cache_chunk", static_cast<double>(config_.train.grad_cache_chunk)}};
  const std::string path = options_.run_file_path();
  if (resume_) {
    const CarriedRows rows = rows_up_to(path, resume_->meta);
    writer_.emplace(path, header, run_file_layouts(config_.eval.tasks), rows.train, rows.eval);
  } else {
    writer_.emplace(path, header, run_file_layouts(config_.eval.tasks));
  }
}

void TrainingRun::log_start() const {
  const auto& p = budget_.params;
  spdlog::info("run {} | model {} | {:.2f}M params (image {:.2f}M, text {:.2f}M) | {:.3g} GFLOP/sample fwd",
               options_.run_id, options_.model.name, p.total / 1e6, p.image / 1e6, p.text / 1e6,
               budget_.flops.total() / 1e9);
  spdlog::info("data {} | D = {} | S = {} | batch {} ({} ranks × {}) | {} steps | {} | {} | {} threads/rank",
               source_->describe(), config_.data.data_size, budget_.samples_target, config_.train.global_batch_size,
               world_, local_batch_, budget_.steps, model::precision_name(precision_), loss_name(loss_),
               torch::get_num_threads());
  const int64_t chunk = config_.train.grad_cache_chunk;
  if (chunk > 0 && chunk < local_batch_)
    spdlog::info("gradient caching: chunks of {} rows ({} per rank and step)", chunk,
                 (local_batch_ + chunk - 1) / chunk);
  spdlog::info("run file {}", options_.run_file_path());
}

// --- build: data, model, optimiser, evaluation ----------------------------------------------

void TrainingRun::build() {
  tokenizer_ = data::load_vocabulary(config_.data.vocab, source_options_, options_.model.text.vocab_size,
                                     config_.data.vocab_corpus);
  data::LoaderOptions loader_options;
  loader_options.data_size = static_cast<uint64_t>(config_.data.data_size);
  loader_options.seed = static_cast<uint64_t>(config_.run.seed);
  loader_options.global_batch_size = config_.train.global_batch_size;
  loader_options.rank = comm_.rank();
  loader_options.world_size = world_;
  loader_options.context_length = options_.model.text.context_length;
  loader_options.prefetch_batches = config_.train.prefetch_batches;
  loader_options.workers = config_.train.loader_workers;
  loader_.emplace(source_, tokenizer_, loader_options, start_.loader_position);

  // Every rank starts from rank 0's initial weights.
  clip_ = model::ClipModel(model_config_);
  parameters_ = clip_->parameters();
  dist::broadcast_tensors(comm_, parameters_, 0);
  reducer_.emplace(comm_, parameters_, static_cast<int64_t>(config_.dist.bucket_mb * 1024 * 1024));
  optimizer_ = make_adamw(*clip_, optim_);
  if (resume_) {
    restore_training_state(resume_->dir, *clip_, *optimizer_, comm_.rank());
    spdlog::info("resuming from {}: step {}, {} samples seen", resume_->dir, start_.step, start_.samples_seen);
  }
  if (is_root_) {
    data::EvalTaskOptions task_options;
    task_options.image_size = options_.model.vision.image_size;
    task_options.synth_seed = static_cast<uint64_t>(config_.data.pool_seed);
    task_options.zeroshot_size = config_.eval.zeroshot_size;
    task_options.retrieval_size = config_.eval.retrieval_size;
    evaluator_.emplace(config_.eval.tasks, task_options, precision_, tokenizer_);
  }
  clip_->train();
}

// --- step -----------------------------------------------------------------------------------

TrainingRun::StepOutcome TrainingRun::step(int64_t step) {
  core::Stopwatch step_timer;
  const double lr = learning_rate(optim_, step, budget_.steps);
  set_learning_rate(*optimizer_, lr);
  data::Batch batch = loader_->next();

  optimizer_->zero_grad();
  const double local_loss =
      forward_backward(*clip_, batch.images, batch.tokens, comm_, loss_, precision_, config_.train.grad_cache_chunk);
  core::failpoint("step");
  // The mean over ranks of the local losses and gradients is the full-batch loss and gradient.
  // The stop flag travels with the loss, so a signal on any rank stops every rank after this
  // same step.
  reducer_->average_gradients();
  at::Tensor shared = torch::tensor({local_loss, g_stop_signal != 0 ? 1.0 : 0.0}, torch::kFloat64);
  comm_.all_reduce(shared, dist::ReduceOp::kSum);
  last_loss_ = shared[0].item<double>() / world_;
  apply_update(step, gradient_norm(parameters_));
  record_step(step, lr, step_timer.seconds(), batch);
  return StepOutcome{shared[1].item<double>() > 0, (step + 1) * config_.train.global_batch_size};
}

void TrainingRun::apply_update(int64_t step, double grad_norm) {
  if (std::isfinite(last_loss_) && std::isfinite(grad_norm)) {
    if (optim_.grad_clip_norm > 0) torch::nn::utils::clip_grad_norm_(parameters_, optim_.grad_clip_norm);
    optimizer_->step();
    torch::NoGradGuard no_grad;
    clip_->logit_scale.clamp_(0.0, spec::kMaxLogitScale);
    nonfinite_in_a_row_ = 0;
    return;
  }
  // Skip the update: the weights and optimizer state stay as they were, so one bad batch (an
  // overflow, a poisoned sample) costs a step, not the run.
  ++nonfinite_total_;
  ++nonfinite_in_a_row_;
  spdlog::warn("step {}: loss {} and gradient norm {}: update skipped ({} in a row, {} in all)", step + 1, last_loss_,
               grad_norm, nonfinite_in_a_row_, nonfinite_total_);
  if (nonfinite_in_a_row_ >= config_.train.max_nonfinite_steps)
    throw core::UserError("training diverged: " + std::to_string(nonfinite_in_a_row_) +
                          " steps in a row had a non-finite loss or gradient (last at step " +
                          std::to_string(step + 1) + ", optim.lr = " + fmt::format("{:g}", optim_.lr) +
                          "), the limit of train.max_nonfinite_steps. HINT: lower optim.lr, raise " +
                          "optim.warmup_samples, or set optim.grad_clip_norm = 1.0.");
}

void TrainingRun::record_step(int64_t step, double lr, double seconds, const data::Batch& batch) {
  const int64_t batch_size = config_.train.global_batch_size;
  const double scale = clip_->logit_scale.exp().item<double>();
  io::TrainRecord record;
  record.step = step + 1;
  record.samples_seen = (step + 1) * batch_size;
  record.loss = last_loss_;
  record.lr = lr;
  record.logit_scale = scale;
  record.samples_per_s = static_cast<double>(batch_size) / seconds;
  record.data_wait_s = batch.wait_seconds;
  if (writer_) writer_->append_train(record);
  ++interval_steps_;
  if ((step + 1) % config_.train.log_every_steps == 0 || step + 1 == budget_.steps) {
    const double mean_step = interval_.seconds() / static_cast<double>(interval_steps_);
    spdlog::info("step {}/{} | loss {:.4f} | scale {:.1f} | lr {:.2e} | {:.0f} ms | {:.0f} img/s | wait {:.1f} ms",
                 step + 1, budget_.steps, last_loss_, scale, lr, mean_step * 1e3,
                 static_cast<double>(batch_size) / mean_step, batch.wait_seconds * 1e3);
    interval_.reset();
    interval_steps_ = 0;
  }
}

// --- evaluate and checkpoint ----------------------------------------------------------------

void TrainingRun::evaluate(int64_t samples) {
  if (evaluator_) {
    const eval::Metrics results = evaluator_->run(*clip_);
    for (const auto& [task, metrics] : results) writer_->append_eval(task, samples, metrics);
    spdlog::info("{}", eval::format_metrics(samples, results));
  }
  // The next multiple of eval.every_samples past this step (the rule a resumed run uses too).
  while (next_eval_ <= samples) next_eval_ += config_.eval.every_samples;
  // Evaluation time is not step time.
  interval_.reset();
  interval_steps_ = 0;
}

void TrainingRun::checkpoint(int64_t steps_done) {
  const std::string dir =
      (std::filesystem::path(options_.checkpoint_root()) / step_checkpoint_name(steps_done)).string();
  write_checkpoint(dir, steps_done, gather_rng_states(comm_));
  if (is_root_) {
    prune_checkpoints(options_.checkpoint_root(), config_.checkpoint.keep);
    spdlog::info("checkpoint {}", dir);
  }
  const int64_t samples = steps_done * config_.train.global_batch_size;
  while (next_checkpoint_ <= samples) next_checkpoint_ += std::max<int64_t>(config_.checkpoint.every_samples, 1);
}

// A training checkpoint of the state after `steps_done` steps, written by rank 0 with every
// rank's RNG state (gathered by every rank beforehand).
void TrainingRun::write_checkpoint(const std::string& dir, int64_t steps_done, std::vector<at::Tensor> rng_states) {
  if (!is_root_) return;
  CheckpointMeta meta;
  meta.run_id = options_.run_id;
  meta.step = steps_done;
  meta.samples_seen = steps_done * config_.train.global_batch_size;
  meta.precision = model::precision_name(precision_);
  meta.has_training_state = true;
  meta.loader_position = loader_->position();
  meta.nonfinite_steps = nonfinite_total_;
  meta.world_size = world_;
  meta.last_loss = last_loss_;
  save_checkpoint(dir, *clip_, *tokenizer_, resolved_toml_, meta,
                  TrainingStateRefs{*optimizer_, std::move(rng_states)});
}

// --- the end: preempted or finished ---------------------------------------------------------

TrainResult TrainingRun::result_after(int64_t steps_done) const {
  TrainResult result;
  result.run_file = options_.run_file_path();
  result.steps = steps_done;
  result.samples_seen = steps_done * config_.train.global_batch_size;
  result.final_loss = last_loss_;
  result.nonfinite_steps = nonfinite_total_;
  result.resumed_from_step = start_.step;
  return result;
}

TrainResult TrainingRun::stop_preempted(int64_t steps_done) {
  spdlog::warn("stopping after step {} on a signal: checkpointed; the same command resumes the run", steps_done);
  TrainResult result = result_after(steps_done);
  result.preempted = true;
  if (writer_) writer_->finish(io::kRunStatusPreempted, {});
  return result;
}

TrainResult TrainingRun::finish() {
  TrainResult result = result_after(budget_.steps);
  // Bad samples replaced on every rank (each counts its own slices).
  const auto& counts = loader_->replaced().counts;
  at::Tensor replaced = torch::tensor(std::vector<double>(counts.begin(), counts.end()), torch::kFloat64);
  comm_.all_reduce(replaced, dist::ReduceOp::kSum);
  data::SkipCounts replaced_total;
  for (size_t i = 0; i < replaced_total.counts.size(); ++i)
    replaced_total.counts[i] = static_cast<uint64_t>(replaced[static_cast<int64_t>(i)].item<double>());
  std::vector<at::Tensor> final_rng_states = gather_rng_states(comm_);
  if (!is_root_) return result;
  if (source_->excluded().total() + replaced_total.total() > 0)
    spdlog::warn("bad data: left out of the pool: {}; replaced while training: {}", source_->excluded().summary(),
                 replaced_total.summary());
  result.final_metrics = evaluator_->run(*clip_);
  for (const auto& [task, metrics] : result.final_metrics) writer_->append_eval(task, budget_.samples_target, metrics);
  spdlog::info("{}", eval::format_metrics(budget_.samples_target, result.final_metrics));
  if (config_.checkpoint.save_final) {
    result.checkpoint_dir = options_.checkpoint_dir();
    write_checkpoint(result.checkpoint_dir, budget_.steps, std::move(final_rng_states));
    spdlog::info("checkpoint {}", result.checkpoint_dir);
  }
  auto final_values = result.final_metrics;
  final_values[kLoaderGroup] = loader_metrics(source_->excluded(), replaced_total);
  writer_->finish(io::kRunStatusDone, final_values);
  return result;
}

// --- the loop -------------------------------------------------------------------------------

TrainResult TrainingRun::run() {
  // The run file comes first, so that any later failure is recorded in it as "failed". Rank 0
  // owns it; the other ranks only train.
  if (is_root_) refuse_to_overwrite_done(options_.run_file_path());
  const StopSignals stop_signals;
  resume();
  open_run_file();
  log_start();
  try {
    build();
    for (int64_t s = start_.step; s < budget_.steps; ++s) {
      const StepOutcome outcome = step(s);
      const bool last_step = s + 1 == budget_.steps;
      if (outcome.samples >= next_eval_ && !last_step) evaluate(outcome.samples);
      if (outcome.stop || (outcome.samples >= next_checkpoint_ && !last_step)) checkpoint(s + 1);
      if (outcome.stop && !last_step) return stop_preempted(s + 1);
    }
    return finish();
  } catch (...) {
    try {
      if (writer_) writer_->finish(io::kRunStatusFailed, {});
    } catch (const std::exception& e) {
      spdlog::warn("could not mark {} failed: {}", options_.run_file_path(), e.what());
    }
    throw;
  }
}

}  // namespace

TrainOptions TrainOptions::from(const config::Document& resolved) {
  TrainOptions o;
  o.config = spec::bind_run_config(resolved);
  o.model = spec::ClipConfig::from_file(o.config.model.config);
  o.run_id = spec::run_id(resolved, o.model.name, o.model.to_json());
  return o;
}

TrainResult run_training(const TrainOptions& options, const std::string& resolved_config_toml) {
  const std::unique_ptr<dist::Communicator> comm = dist::make_local_communicator();
  return run_training(options, resolved_config_toml, *comm);
}

TrainResult run_training(const TrainOptions& options, const std::string& resolved_config_toml,
                         dist::Communicator& comm) {
  return TrainingRun(options, resolved_config_toml, comm).run();
}

}  // namespace clipscale::train
