// One CLIP training step (forward, symmetric InfoNCE, backward, AdamW, logit-scale clamp) on
// random inputs, through the trainer's own step (train::forward_backward), timed like
// the plain-PyTorch reference step (bench/run_train_step_bench.sh runs both) so the two can be compared:
//   clipscale_bench_train_step --model-config M.json --batch-size 256 --threads 2 --steps 20
//                              [--grad-cache-chunk 256] [--profile]
// Prints: samples_per_s=<float> step_ms=<float> params=<int> precision=<fp32|bf16>
//         grad_cache_chunk=<int> peak_rss_mb=<float> (the process's peak resident memory)
//         flops_per_step=<float> (3 × analytic forward FLOPs × batch)
// --profile adds a second pass timing the phases of the same step one by one, and the loader:
//         forward_ms=<f> loss_ms=<f> backward_ms=<f> optimizer_ms=<f> data_ms=<f>
// (data_ms: one global batch of synth:shapes built by the training loader on one thread).
#include <malloc.h>
#include <sys/resource.h>
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>

#include "data/loader.h"
#include "data/vocabulary.h"
#include "dist/communicator.h"
#include "model/autocast.h"
#include "model/clip_model.h"
#include "spec/flops.h"
#include "train/grad_cache.h"
#include "train/loss.h"
#include "train/optimizer.h"

int main(int argc, char** argv) {
  using namespace clipscale;
  mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  std::string config_path, precision_text = "fp32";
  int64_t batch = 256, threads = 2, steps = 20, warmup = 3, chunk = 0;
  bool profile = false;
  CLI::App app{"CLIP train-step throughput"};
  app.add_option("--model-config", config_path)->required();
  app.add_option("--batch-size", batch);
  app.add_option("--threads", threads);
  app.add_option("--steps", steps);
  app.add_option("--warmup", warmup);
  app.add_option("--precision", precision_text)->check(CLI::IsMember({"fp32", "bf16"}));
  app.add_option("--grad-cache-chunk", chunk, "rows per gradient-caching chunk; 0: off");
  app.add_flag("--profile", profile, "also time forward, loss, backward, optimizer and the loader separately");
  CLI11_PARSE(app, argc, argv);
  if (steps < 1 || warmup < 0 || batch < 2 || chunk < 0) {
    std::fprintf(stderr, "error: need --steps >= 1, --warmup >= 0, --batch-size >= 2 and --grad-cache-chunk >= 0\n");
    return 2;
  }

  torch::set_num_threads(static_cast<int>(threads));
  torch::manual_seed(0);
  const auto config = spec::ClipConfig::from_file(config_path);
  const auto precision = model::parse_precision(precision_text, "--precision");
  model::ClipModel clip(config);
  train::OptimizerOptions optim;  // lr 5e-4, wd 0.2, betas (0.9, 0.98), eps 1e-6, as the reference
  auto optimizer = train::make_adamw(*clip, optim);
  const auto comm = dist::make_local_communicator();

  const int64_t n = config.text.context_length, vocab = config.text.vocab_size;
  auto images = torch::randn({batch, 3, config.vision.image_size, config.vision.image_size});
  auto tokens = torch::randint(1, vocab - 1, {batch, n}, torch::kLong);
  tokens.select(1, n / 2).fill_(vocab - 1);  // EOT (highest id) mid-sequence

  auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < warmup + steps; ++i) {
    if (i == warmup) start = std::chrono::steady_clock::now();
    optimizer->zero_grad();
    train::forward_backward(*clip, images, tokens, *comm, {}, precision, chunk);
    optimizer->step();
    torch::NoGradGuard no_grad;
    clip->logit_scale.clamp_(0.0, spec::kMaxLogitScale);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / static_cast<double>(steps);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double flops_per_step = spec::training_flops(config, static_cast<double>(batch));
  std::printf(
      "samples_per_s=%.2f step_ms=%.2f params=%lld precision=%s grad_cache_chunk=%lld peak_rss_mb=%.1f "
      "flops_per_step=%.4g\n",
      static_cast<double>(batch) / seconds, seconds * 1e3, static_cast<long long>(model::count_parameters(*clip).total),
      precision_text.c_str(), static_cast<long long>(chunk), static_cast<double>(usage.ru_maxrss) / 1024.0,
      flops_per_step);
  if (!profile) return 0;

  // The same step in its phases, each timed on its own (medians over the steps). The sum is close
  // to step_ms; what is left is autograd and allocator overhead between phases.
  using Clock = std::chrono::steady_clock;
  const auto ms = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count() * 1e3;
  };
  std::vector<double> forward_ms, loss_ms, backward_ms, optimizer_ms;
  for (int64_t i = 0; i < steps; ++i) {
    optimizer->zero_grad();
    const auto t0 = Clock::now();
    std::pair<at::Tensor, at::Tensor> features;
    {
      model::AutocastGuard autocast(precision);
      features = clip->forward(images, tokens);
    }
    const auto t1 = Clock::now();
    at::Tensor loss =
        train::distributed_loss(*comm, {}, features.first, features.second, clip->logit_scale.exp(), clip->logit_bias);
    const auto t2 = Clock::now();
    loss.backward();
    const auto t3 = Clock::now();
    optimizer->step();
    {
      torch::NoGradGuard no_grad;
      clip->logit_scale.clamp_(0.0, spec::kMaxLogitScale);
    }
    const auto t4 = Clock::now();
    forward_ms.push_back(ms(t0, t1));
    loss_ms.push_back(ms(t1, t2));
    backward_ms.push_back(ms(t2, t3));
    optimizer_ms.push_back(ms(t3, t4));
  }
  const auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  data::SourceOptions source;
  source.image_size = config.vision.image_size;
  const std::shared_ptr<const data::SampleSource> pool = data::open_source(source);
  const auto tokenizer = data::load_vocabulary("builtin:synth", source, vocab, 20000);
  data::LoaderOptions loader_options;
  loader_options.data_size = 100000;
  loader_options.global_batch_size = batch;
  loader_options.context_length = n;
  loader_options.prefetch_batches = 0;  // built on this thread, so the time is one core's
  data::Loader loader(pool, tokenizer, loader_options, 0);
  std::vector<double> data_ms;
  for (int i = 0; i < 3; ++i) {
    const auto t0 = Clock::now();
    loader.next();
    data_ms.push_back(ms(t0, Clock::now()));
  }
  std::printf("forward_ms=%.2f loss_ms=%.2f backward_ms=%.2f optimizer_ms=%.2f data_ms=%.2f\n", median(forward_ms),
              median(loss_ms), median(backward_ms), median(optimizer_ms), median(data_ms));
  return 0;
}
