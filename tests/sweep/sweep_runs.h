// Run files for the sweep tests, written with io::RunWriter the way clipscale train writes them.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "io/run_file.h"
#include "sweep/plan.h"

namespace clipscale::testing {

/// A run file for `run` of `plan` of `steps` steps at `samples_per_s`, the first `logged` of them
/// logged (all when negative); finished with `status` and retrieval/r1 = `r1` unless status is
/// "running", in which case the returned writer keeps it open (a live run).
inline std::unique_ptr<io::RunWriter> write_run_file(const sweep::Plan& plan, const sweep::PlannedRun& run,
                                                     const std::string& status, int steps = 4,
                                                     double samples_per_s = 100, double r1 = 0.5, int logged = -1) {
  io::RunHeader h;
  h.run_id = run.resolved.run_id;
  h.config_toml = "# config\n";
  h.git_sha = "abc";
  h.variant = "base";
  h.params_image = run.resolved.params_image;
  h.params_text = run.resolved.params_text;
  h.params_total = run.resolved.params_total;
  h.flops_per_sample = run.resolved.flops_per_sample;
  h.samples_seen_target = run.resolved.samples_seen;
  h.data_size = run.resolved.data_size;
  h.extra_string_attrs = {{"model", run.resolved.model_name}, {"sweep", plan.spec.name}};
  auto writer = std::make_unique<io::RunWriter>(plan.layout.run_file(h.run_id), h,
                                                std::vector<io::EvalTaskLayout>{{"retrieval", {"r1"}}});
  for (int s = 1; s <= (logged < 0 ? steps : logged); ++s) {
    io::TrainRecord r;
    r.step = s;
    r.samples_seen = s * run.resolved.samples_seen / steps;
    r.loss = 1.0 / s;
    r.samples_per_s = samples_per_s;
    writer->append_train(r);
  }
  if (status == io::kRunStatusRunning) return writer;
  writer->finish(status, {{"retrieval", {{"r1", r1}}}});
  return nullptr;
}

}  // namespace clipscale::testing
