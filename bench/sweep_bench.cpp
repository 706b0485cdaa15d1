// Sweep management at scale (targets: `sweep plan` of a 1,000-run grid < 1 s, `sweep collect`
// of 1,000 run files < 10 s, both on 2 cores):
//   clipscale_bench_sweep [--runs-per-axis 10] [--repeats 3] [--clipscale PATH] [--dir DIR] [--keep]
// Writes a 10 × 10 × 10 sweep (seed × samples seen × learning rate) on a tiny model, times
// `clipscale sweep plan --json` on it (the whole command: start-up, reading the sweep file,
// resolving 1,000 run configs with the run-config checks, ids, JSON) beside `clipscale --version`
// (the start-up alone: loading LibTorch's shared libraries), writes one small run file
// per planned run with io::RunWriter (20 logged steps, 3 eval tasks, as a finished run writes),
// then times `clipscale sweep collect`. Prints the median of the repeats and a correctness column
// (plan: 1,000 distinct ids; collect: 1,000 rows, all done, ids in plan order).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/timer.h"
#include "io/run_file.h"
#include "io/sweep_file.h"
#include "sweep/process.h"

namespace {

using namespace clipscale;
namespace fs = std::filesystem;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// Runs `argv`, returning its wall time; aborts the benchmark when it fails.
double timed(const std::vector<std::string>& argv, std::string* out = nullptr) {
  core::Stopwatch clock;
  const sweep::CommandOutput r = sweep::run_command(argv);
  const double seconds = clock.seconds();
  if (!r.status.ok()) {
    std::fprintf(stderr, "%s failed (%s):\n%s%s\n", sweep::format_command(argv).c_str(), r.status.describe().c_str(),
                 r.out.c_str(), r.err.c_str());
    std::exit(1);
  }
  if (out != nullptr) *out = r.out;
  return seconds;
}

void write_run_file(const std::string& path, const std::string& run_id, int64_t samples, int seed) {
  io::RunHeader h;
  h.run_id = run_id;
  h.config_toml = "# resolved config\n";
  h.git_sha = "bench";
  h.variant = "base";
  h.params_image = 20000;
  h.params_text = 30000;
  h.params_total = 50001;
  h.flops_per_sample = 1.5e6;
  h.samples_seen_target = samples;
  h.data_size = 2000;
  h.seed = seed;
  h.extra_string_attrs = {{"model", "tiny"}, {"sweep", "bench"}, {"precision", "bf16"}};
  h.extra_number_attrs = {{"global_batch_size", 32.0}};
  const std::vector<io::EvalTaskLayout> tasks = {{"zeroshot_shape", {"top1", "top5"}},
                                                 {"zeroshot_color", {"top1", "top5"}},
                                                 {"retrieval", {"image_to_text_r1", "text_to_image_r1"}}};
  io::RunWriter writer(path, h, tasks);
  for (int s = 1; s <= 20; ++s) {
    io::TrainRecord r;
    r.step = s;
    r.samples_seen = s * samples / 20;
    r.loss = 3.0 / s;
    r.lr = 1e-3;
    r.logit_scale = 14.3;
    r.samples_per_s = 1000;
    writer.append_train(r);
  }
  writer.finish(io::kRunStatusDone, {{"zeroshot_shape", {{"top1", 0.3}, {"top5", 0.9}}},
                                     {"zeroshot_color", {{"top1", 0.8}, {"top5", 1.0}}},
                                     {"retrieval", {{"image_to_text_r1", 0.2}, {"text_to_image_r1", 0.2}}}});
}

}  // namespace

int main(int argc, char** argv) {
  int per_axis = 10, repeats = 3;
  bool keep = false;
  std::string clipscale = CLIPSCALE_BINARY;
  std::string dir = (fs::temp_directory_path() / "clipscale_bench_sweep").string();
  CLI::App app{"sweep plan and collect times on a 1,000-run sweep"};
  app.add_option("--runs-per-axis", per_axis, "values per axis (3 axes)");
  app.add_option("--repeats", repeats);
  app.add_option("--clipscale", clipscale, "the clipscale binary");
  app.add_option("--dir", dir, "scratch folder (removed first)");
  app.add_flag("--keep", keep, "keep the scratch folder");
  CLI11_PARSE(app, argc, argv);

  fs::remove_all(dir);
  const fs::path root(dir);
  write(root / "tiny.json", R"({"embed_dim": 32,
  "vision_cfg": {"image_size": 16, "patch_size": 4, "width": 32, "layers": 1, "head_width": 16, "mlp_ratio": 2.0},
  "text_cfg": {"context_length": 16, "vocab_size": 600, "width": 32, "heads": 2, "layers": 1, "mlp_ratio": 2.0}})");
  write(root / "base.toml", "[run]\noutput_dir = \"" + (root / "results").string() + "\"\n[model]\nconfig = \"" +
                                (root / "tiny.json").string() +
                                "\"\n[data]\ndata_size = 2000\n[train]\nsamples_seen = 640\n"
                                "global_batch_size = 32\n");
  std::string seeds, samples, lrs;
  for (int i = 0; i < per_axis; ++i) {
    seeds += (i ? ", " : "") + std::to_string(i);
    samples += (i ? ", " : "") + std::to_string(640 * (i + 1));
    lrs += (i ? ", " : "") + std::to_string(1e-4 * (i + 1));
  }
  const std::string sweep_file = (root / "bench.toml").string();
  write(sweep_file, "[sweep]\nname = \"bench\"\nbase = \"" + (root / "base.toml").string() +
                        "\"\n[axes]\nrun.seed = [" + seeds + "]\ntrain.samples_seen = [" + samples + "]\noptim.lr = [" +
                        lrs + "]\n");
  const size_t runs = static_cast<size_t>(per_axis) * per_axis * per_axis;

  // The binary's start-up alone (loading LibTorch's shared libraries) is timed beside it.
  std::vector<double> plan_times, startup_times;
  std::string plan_json;
  for (int r = 0; r < repeats; ++r) {
    startup_times.push_back(timed({clipscale, "--version"}));
    plan_times.push_back(timed({clipscale, "sweep", "plan", sweep_file, "--json"}, &plan_json));
  }
  const auto plan = nlohmann::json::parse(plan_json);
  std::set<std::string> ids;
  for (const auto& run : plan["runs"]) ids.insert(run["run_id"].get<std::string>());
  const bool plan_ok = plan["runs"].size() == runs && ids.size() == runs;

  core::Stopwatch writing;
  for (const auto& run : plan["runs"]) {
    write_run_file((root / "results/bench/runs" / (run["run_id"].get<std::string>() + ".h5")).string(), run["run_id"],
                   run["samples_seen"], run["axes"]["run.seed"]);
  }
  const double write_seconds = writing.seconds();

  std::vector<double> collect_times;
  for (int r = 0; r < repeats; ++r) collect_times.push_back(timed({clipscale, "sweep", "collect", sweep_file}));
  const io::SweepFile collected = io::read_sweep_file((root / "results/bench/sweep.h5").string());
  bool collect_ok = collected.runs.rows() == runs;
  if (collect_ok) {
    const auto status = collected.runs.strings("status");
    const auto row_ids = collected.runs.strings("run_id");
    for (size_t i = 0; i < runs; ++i)
      collect_ok = collect_ok && status[i] == "done" && row_ids[i] == plan["runs"][i]["run_id"].get<std::string>();
  }

  std::printf("| step | runs | seconds (median of %d) | target | correct |\n|---|---:|---:|---:|---|\n", repeats);
  std::printf("| clipscale --version (start-up only) | - | %.3f | - | - |\n", median(startup_times));
  std::printf("| sweep plan --json | %zu | %.3f | < 1 | %s |\n", runs, median(plan_times), plan_ok ? "yes" : "NO");
  std::printf("| sweep collect | %zu | %.3f | < 10 | %s |\n", runs, median(collect_times), collect_ok ? "yes" : "NO");
  std::printf("(writing the %zu run files with io::RunWriter took %.2f s)\n", runs, write_seconds);
  if (!keep) fs::remove_all(dir);
  return plan_ok && collect_ok ? 0 : 1;
}
