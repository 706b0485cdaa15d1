// End-to-end tests of `clipscale data` and of training on tar shards: the synthetic pool written
// as shards, a run on them that evaluates a shard-based task file, and the loader group of the
// run file counting a corrupt sample.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "io/run_file.h"
#include "support/process.h"
#include "support/scratch_dir.h"

namespace clipscale::testing {
namespace {
namespace fs = std::filesystem;

/// The smallest model of the family (image 32).
const std::string kModel = std::string(CLIPSCALE_SOURCE_DIR) + "/experiments/models/clip-w64-l2.json";

/// The data.source a `clipscale data` command printed.
std::string printed_source(const std::string& output) {
  std::smatch m;
  return std::regex_search(output, m, std::regex("data.source = \"(shards:[^\"]+)\"")) ? m[1].str() : "";
}

TEST(DataCommand, SynthShardsTrainAndEvaluateAndCountACorruptSample) {
  ScratchDir scratch;
  const fs::path dir = scratch.path();
  auto r = run_command(clipscale("data synth --out " + (dir / "pool").string() +
                                 " --samples 300 --shard-size 100 --image-size 32 --threads 2"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string source = printed_source(r.output);
  ASSERT_EQ(source, "shards:" + (dir / "pool" / "{00000..00002}.tar").string()) << r.output;

  // A held-out task file over the last shard, labelled by caption.
  write_text(dir / "evals" / "synth_pairs.toml", "schema_version = 1\nkind = \"retrieval\"\nsource = \"shards:" +
                                                     (dir / "pool" / "00002.tar").string() + "\"\n");
  // Corrupt one image of the first shard in place (same size: the cached index stays valid).
  {
    std::fstream shard(dir / "pool" / "00000.tar", std::ios::in | std::ios::out | std::ios::binary);
    shard.seekp(512 + 1);  // inside the first member's PNG signature
    shard.write("XXXX", 4);
  }
  write_text(dir / "run.toml", "[run]\nname = \"shards\"\noutput_dir = \"" + (dir / "results").string() +
                                   "\"\n[model]\nconfig = \"" + kModel + "\"\n[data]\nsource = \"" + source +
                                   "\"\ndata_size = 300\nvocab = \"builtin:pool\"\nvocab_corpus = 200\n"
                                   "[train]\nsamples_seen = 600\nglobal_batch_size = 30\nloader_workers = 2\n"
                                   "[eval]\ntasks = [\"zeroshot_shape\", \"" +
                                   (dir / "evals" / "synth_pairs.toml").string() + "\"]\nzeroshot_size = 24\n");
  r = run_command(clipscale("train " + (dir / "run.toml").string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.output, m, std::regex("run_file=(\\S+)"))) << r.output;
  const io::RunFile run = io::read_run_file(m[1].str());
  EXPECT_EQ(run.status, "done");
  EXPECT_GE(run.eval_final.at("synth_pairs").at("image_to_text_r10"), 0.0);
  EXPECT_GE(run.eval_final.at("zeroshot_shape").at("top1"), 0.0);
  const auto& loader = run.eval_final.at("loader");
  EXPECT_EQ(loader.at("excluded_truncated"), 0.0);
  // D is the whole pool and training runs exactly 2 epochs: the corrupt sample is drawn, and replaced, twice.
  EXPECT_EQ(loader.at("replaced_bad_image"), 2.0);
  EXPECT_NE(r.output.find("member 000000000.png"), std::string::npos) << r.output;
  for (const auto& record : run.train) EXPECT_LT(record.data_wait_s, 5.0);
}

TEST(DataCommand, BadArgumentsAreUserErrors) {
  ScratchDir scratch;
  auto r = run_command(clipscale("data synth --out " + scratch.file("x") + " --samples 0"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("HINT"), std::string::npos) << r.output;
  r = run_command(
      clipscale("data iconify --package " + scratch.file("missing.tgz") + " --out " + scratch.file("icons")));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("npm pack @iconify/json"), std::string::npos) << r.output;
  r = run_command(
      clipscale("data fashion-mnist --out " + scratch.file("f") + " --package-dir " + scratch.file("none")));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  write_text(scratch.path() / "run.toml",
             "[model]\nconfig = \"" + kModel + "\"\n[data]\ndata_size = 100\n[train]\nsamples_seen = 64\n");
  r = run_command(clipscale("train " + scratch.file("run.toml") +
                            " --set data.source=shards:" + scratch.file("{0..3}.tar") + " --dry-run"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("data.source"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("0.tar does not"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace clipscale::testing
