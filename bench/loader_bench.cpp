// Shard loader benchmark: decoded-and-augmented images/s per core for JPEG and PNG shards at 32
// and 224 px, and end-to-end loader throughput (decode, RandomResizedCrop, normalise, tokenise)
// with 1..N worker threads.
//
//   build/bench/clipscale_bench_loader [--samples-32 4000] [--samples-224 600] [--batch 128]
//                                      [--workers 1,2] [--dir /tmp/loader_bench]
//
// The shards hold synth:shapes scenes with per-pixel noise added, so JPEGs are as large as photos
// of the same size (about 2 bits per pixel): 32-px images are stored at 32 px, 224-px images at
// 256 px (as img2dataset --image_size 256 stores them for 224-px training). The "check" column is
// a checksum of every decoded pixel, equal across repeats and worker counts.
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "convert/shard_export.h"
#include "core/hash.h"
#include "core/timer.h"
#include "data/loader.h"
#include "data/sample_source.h"
#include "data/shard_source.h"
#include "spec/shard_pattern.h"
#include "text/bpe_tokenizer.h"
#include "text/bpe_trainer.h"

namespace clipscale::bench {
namespace {

/// synth:shapes with deterministic per-pixel noise (±16), so that JPEG sizes are photo-like.
class NoisySynth final : public data::SampleSource {
 public:
  explicit NoisySynth(int64_t size) {
    data::SourceOptions options;
    options.image_size = size;
    inner_ = data::open_source(options);
  }
  uint64_t size() const override { return inner_->size(); }
  data::Example get(uint64_t index) const override {
    data::Example example = inner_->get(index);
    core::Rng rng(index);
    for (auto& p : example.pixels)
      p = static_cast<uint8_t>(std::clamp<int>(p + static_cast<int>(rng.uniform_int(33)) - 16, 0, 255));
    return example;
  }
  std::string describe() const override { return "noisy " + inner_->describe(); }

 private:
  std::unique_ptr<data::SampleSource> inner_;
};

struct Case {
  int64_t output = 0;  ///< model image size
  int64_t stored = 0;  ///< stored image size
  std::string format;  ///< png or jpg
  int64_t samples = 0;
};

std::string make_shards(const std::string& root, const Case& c) {
  const std::string dir = root + "/" + c.format + std::to_string(c.stored);
  const NoisySynth source(c.stored);
  convert::ShardExportOptions options;
  options.out_dir = dir;
  options.samples = c.samples;
  options.shard_size = 1000;
  options.format = c.format;
  if (std::filesystem::exists(dir)) std::filesystem::remove_all(dir);
  return convert::export_shards(source, options);
}

uint64_t directory_bytes(const std::string& pattern) {
  uint64_t total = 0;
  for (const auto& shard : spec::expand_shard_pattern(pattern, "bench")) total += std::filesystem::file_size(shard);
  return total;
}

}  // namespace
}  // namespace clipscale::bench

int main(int argc, char** argv) {
  using namespace clipscale;
  CLI::App app{"clipscale shard loader benchmark"};
  int64_t samples_32 = 4000, samples_224 = 600, batch = 128;
  std::vector<int64_t> workers = {1, 2};
  std::string dir = (std::filesystem::temp_directory_path() / "clipscale_loader_bench").string();
  app.add_option("--samples-32", samples_32, "samples per 32-px shard set");
  app.add_option("--samples-224", samples_224, "samples per 224-px shard set");
  app.add_option("--batch", batch, "global batch of the loader runs");
  app.add_option("--workers", workers, "loader worker counts to run")->delimiter(',');
  app.add_option("--dir", dir, "scratch directory for the shards");
  CLI11_PARSE(app, argc, argv);
  torch::set_num_threads(1);

  const std::vector<bench::Case> cases = {{32, 32, "jpg", samples_32},
                                          {32, 32, "png", samples_32},
                                          {224, 256, "jpg", samples_224},
                                          {224, 256, "png", samples_224}};
  auto tokenizer = std::make_shared<text::BpeTokenizer>(
      text::train_bpe({"a red circle on a gray background", "two blue squares", "IMG_0001.jpg"}, 600));
  std::printf("| output px | stored px | format | bytes/image | decode+augment img/s (1 core) | check |");
  for (int64_t w : workers) std::printf(" loader %lld worker%s img/s |", static_cast<long long>(w), w == 1 ? "" : "s");
  std::printf("\n|---:|---:|---|---:|---:|---|");
  for (size_t i = 0; i < workers.size(); ++i) std::printf("---:|");
  std::printf("\n");
  for (const auto& c : cases) {
    const std::string pattern = bench::make_shards(dir, c);
    data::SourceOptions options;
    options.spec = "shards:" + pattern;
    options.image_size = c.output;
    std::shared_ptr<const data::SampleSource> source = data::open_source(options);
    // Per core: one thread, every sample once, the train view (decode + RandomResizedCrop).
    uint64_t check = 0;
    source->get_augmented(0, 1);  // warm the page cache and the decoder
    const core::Stopwatch timer;
    for (uint64_t i = 0; i < source->size(); ++i) {
      const data::Example example = source->get_augmented(i, core::hash_combine(7, i));
      for (uint8_t p : example.pixels) check = check * 1099511628211ULL + p;
    }
    const double per_core = static_cast<double>(source->size()) / timer.seconds();
    std::printf("| %lld | %lld | %s | %.0f | %.0f | %016llx |", static_cast<long long>(c.output),
                static_cast<long long>(c.stored), c.format.c_str(),
                static_cast<double>(bench::directory_bytes(pattern)) / static_cast<double>(c.samples), per_core,
                static_cast<unsigned long long>(check));
    // End to end through the loader: batches of normalised images and tokens, ordered output.
    for (int64_t w : workers) {
      data::LoaderOptions loader_options;
      loader_options.data_size = source->size();
      loader_options.global_batch_size = batch;
      loader_options.context_length = 32;
      loader_options.workers = w;
      loader_options.prefetch_batches = std::max<int64_t>(2, w);
      data::Loader loader(source, tokenizer, loader_options);
      const int64_t batches = std::max<int64_t>(2, c.samples / batch);
      loader.next();  // start-up
      const core::Stopwatch loader_timer;
      for (int64_t b = 1; b < batches; ++b) loader.next();
      std::printf(" %.0f |", static_cast<double>((batches - 1) * batch) / loader_timer.seconds());
    }
    std::printf("\n");
    std::fflush(stdout);
  }
  std::filesystem::remove_all(dir);
  return 0;
}
