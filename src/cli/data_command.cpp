// clipscale data synth|iconify|fashion-mnist: make WebDataset shards and evaluation tasks.
//   clipscale data synth --out DIR --samples N [--shard-size 10000] [--image-size 32] [--format png|jpg]
//   clipscale data iconify --package iconify-json-X.tgz --out DIR [--size 32] [--shard-size 10000]
//   clipscale data fashion-mnist --out DIR [--size 32] [--split test]
// Each prints the data.source or task file to use; see README, "Real data".
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "convert/fashion_mnist.h"
#include "convert/iconify.h"
#include "convert/shard_export.h"
#include "core/timer.h"
#include "data/sample_source.h"

namespace clipscale::cli {
namespace {

struct SynthCommandOptions {
  convert::ShardExportOptions shards;
  int64_t image_size = 32;
  uint64_t pool_seed = 0;
  double noise_fraction = 0.2;
};

void run_data_synth(const SynthCommandOptions& o) {
  data::SourceOptions source_options;
  source_options.image_size = o.image_size;
  source_options.seed = o.pool_seed;
  source_options.noise_fraction = o.noise_fraction;
  const auto source = data::open_source(source_options);
  const core::Stopwatch timer;
  const std::string pattern = convert::export_shards(*source, o.shards);
  std::printf("wrote %lld samples of %s in %.1f s\ndata.source = \"shards:%s\"\n",
              static_cast<long long>(o.shards.samples), source->describe().c_str(), timer.seconds(), pattern.c_str());
}

void run_data_iconify(const convert::IconifyOptions& o) {
  const convert::IconifySummary s = convert::convert_iconify(o);
  std::printf("@iconify/json %s: %lld sets, %lld icons rendered (%lld failed, %lld blank) in %.0f s\n",
              s.package_version.c_str(), static_cast<long long>(s.sets), static_cast<long long>(s.rendered),
              static_cast<long long>(s.failed), static_cast<long long>(s.blank), s.seconds);
  std::printf("pool: %lld samples\ndata.source = \"shards:%s\"\n", static_cast<long long>(s.pool_samples),
              s.pool_pattern.c_str());
  for (const auto& [task, count] : s.eval_samples)
    std::printf("eval task %s: %lld samples, %s/eval/%s.toml\n", task.c_str(), static_cast<long long>(count),
                o.out_dir.c_str(), task.c_str());
}

void run_data_fashion_mnist(const convert::FashionMnistOptions& o) {
  const convert::FashionMnistSummary s = convert::convert_fashion_mnist(o);
  std::printf("wrote %lld Fashion-MNIST %s images to %s\neval task file %s\n", static_cast<long long>(s.samples),
              o.split.c_str(), s.shard.c_str(), s.task_file.c_str());
}

}  // namespace

void setup_data(CLI::App& app) {
  CLI::App* data = app.add_subcommand("data", "make WebDataset shards and evaluation tasks");
  data->require_subcommand(1);

  auto synth = std::make_shared<SynthCommandOptions>();
  CLI::App* s = data->add_subcommand("synth", "write the built-in synth:shapes pool as tar shards");
  s->add_option("--out", synth->shards.out_dir, "output directory")->required();
  s->add_option("--samples", synth->shards.samples, "samples to write (pool ids from --first-id on)")->required();
  s->add_option("--first-id", synth->shards.first, "first pool id");
  s->add_option("--shard-size", synth->shards.shard_size, "samples per shard");
  s->add_option("--image-size", synth->image_size, "image side in pixels");
  s->add_option("--format", synth->shards.format, "png or jpg")->check(CLI::IsMember({"png", "jpg"}));
  s->add_option("--jpeg-quality", synth->shards.jpeg_quality, "JPEG quality (1-100)");
  s->add_option("--pool-seed", synth->pool_seed, "seed of the synthetic pool");
  s->add_option("--noise-fraction", synth->noise_fraction, "share of noisy captions");
  s->add_option("--threads", synth->shards.threads, "encoding threads; 0: every core");
  s->callback([synth] { run_data_synth(*synth); });

  auto icons = std::make_shared<convert::IconifyOptions>();
  CLI::App* i =
      data->add_subcommand("iconify", "render the @iconify/json npm package into an icon pool and eval tasks");
  i->add_option("--package", icons->package, "the .tgz of `npm pack @iconify/json`")->required();
  i->add_option("--out", icons->out_dir, "output directory (pool/, eval/, manifest.json)")->required();
  i->add_option("--size", icons->image_size, "rendered image side in pixels");
  i->add_option("--shard-size", icons->shard_size, "pool samples per shard");
  i->add_option("--threads", icons->threads, "rendering threads; 0: every core");
  i->add_option("--max-icons-per-set", icons->max_icons_per_set, "0: all; else the first N icons of each set");
  i->add_option("--emoji-per-class", icons->emoji_images_per_class, "icons_emoji: images per emoji group");
  i->add_option("--concept-classes", icons->concept_classes, "icons_concepts: number of concepts");
  i->add_option("--concept-per-class", icons->concept_images_per_class, "icons_concepts: images per concept");
  i->add_option("--retrieval-pairs", icons->retrieval_pairs, "icons_retrieval: image-caption pairs");
  i->callback([icons] { run_data_iconify(*icons); });

  auto fashion = std::make_shared<convert::FashionMnistOptions>();
  CLI::App* f =
      data->add_subcommand("fashion-mnist", "make the Fashion-MNIST zero-shot task (Debian dataset-fashion-mnist)");
  f->add_option("--out", fashion->out_dir, "output directory")->required();
  f->add_option("--package-dir", fashion->package_dir, "directory of the *-ubyte.gz files");
  f->add_option("--size", fashion->image_size, "image side in pixels (the model's image size)");
  f->add_option("--split", fashion->split, "test or train")->check(CLI::IsMember({"test", "train"}));
  f->callback([fashion] { run_data_fashion_mnist(*fashion); });
}

}  // namespace clipscale::cli
