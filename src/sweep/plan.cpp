#include "sweep/plan.h"

#include <filesystem>
#include <unordered_map>

#include "core/error.h"

namespace clipscale::sweep {
namespace {

// At most this many failing runs are shown; the rest are counted.
constexpr size_t kMaxReportedRuns = 5;

int64_t launch_setting(const GridPoint& axes, const char* key, int64_t fallback) {
  for (const AxisSetting& s : axes)
    if (s.key == key) return std::get<int64_t>(s.value);
  return fallback;
}

FilterValue filter_value(const PlannedRun& run, const std::string& name) {
  const ResolvedRun& r = run.resolved;
  if (name == "params") return static_cast<double>(r.params_total);
  if (name == "params_image") return static_cast<double>(r.params_image);
  if (name == "params_text") return static_cast<double>(r.params_text);
  if (name == "flops_per_sample") return r.flops_per_sample;
  if (name == "compute") return run.compute();
  if (name == "model") return r.model_name;
  if (name == "ranks_per_run") return static_cast<double>(run.ranks);
  if (name == "threads_per_rank") return static_cast<double>(run.threads);
  const auto it = r.values.find(name);
  CLIPSCALE_CHECK(it != r.values.end()) << "filter name '" << name << "' is not in the resolved config";
  const config::Value& v = it->second;
  if (const auto* b = std::get_if<bool>(&v)) return *b;
  if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return config::format_value(v);
}

std::string indent(const std::string& text) {
  std::string out = "  ";
  for (const char c : text) {
    out += c;
    if (c == '\n') out += "  ";
  }
  return out;
}

}  // namespace

std::vector<std::string> Plan::train_overrides(const PlannedRun& run) const {
  std::vector<std::string> out = run.overrides;
  out.push_back("run.output_dir=" + config::format_string(output_dir));
  return out;
}

std::string describe_axes(const GridPoint& axes) {
  std::string out;
  for (const AxisSetting& s : axes) {
    std::string value = config::format_value(s.value);
    if (const auto* text = std::get_if<std::string>(&s.value); text != nullptr && text->find('/') != std::string::npos)
      value = std::filesystem::path(*text).filename().string();
    out += (out.empty() ? "" : " ") + s.key + "=" + value;
  }
  return out.empty() ? "(base config)" : out;
}

Plan make_plan(const SweepSpec& spec, const RunResolver& resolver, const std::string& output_dir) {
  Plan plan;
  plan.spec = spec;
  const std::vector<GridPoint> grid = expand_grid(spec);
  std::vector<std::string> failures;
  size_t failed_runs = 0;
  for (size_t g = 0; g < grid.size(); ++g) {
    PlannedRun run;
    run.axes = grid[g];
    run.ranks = launch_setting(run.axes, kRanksAxis, spec.launch.ranks_per_run);
    run.threads = launch_setting(run.axes, kThreadsAxis, spec.launch.threads_per_rank);
    for (const AxisSetting& s : run.axes)
      if (s.key != kRanksAxis && s.key != kThreadsAxis) run.overrides.push_back(override_text(s));
    run.overrides.push_back("run.name=" + config::format_string(spec.name));
    if (run.threads > 0) run.overrides.push_back("train.threads=" + std::to_string(run.threads));
    try {
      run.resolved = resolver.resolve(spec.base, run.overrides);
    } catch (const core::UserError& e) {
      if (++failed_runs <= kMaxReportedRuns)
        failures.push_back(spec.path + ": run " + std::to_string(g) + " (" + describe_axes(run.axes) + ") of base " +
                           spec.base + ":\n" + indent(e.what()));
      continue;
    }
    if (!run.threads) {
      const auto it = run.resolved.values.find("train.threads");
      if (it != run.resolved.values.end()) run.threads = std::get<int64_t>(it->second);
    }
    std::string reason;
    if (spec.filter.skip_if_samples_below_data_size && run.resolved.samples_seen < run.resolved.data_size) {
      reason = "skip_if_samples_below_data_size (samples seen " + std::to_string(run.resolved.samples_seen) +
               " < data size " + std::to_string(run.resolved.data_size) + ")";
    }
    for (const FilterRule& rule : spec.filter.skip_if) {
      if (!reason.empty()) break;
      if (rule.holds([&run](const std::string& name) { return filter_value(run, name); }))
        reason = "skip_if " + config::format_string(rule.text());
    }
    if (!reason.empty()) {
      plan.skipped.push_back({run.axes, reason});
      continue;
    }
    run.index = plan.runs.size();
    plan.runs.push_back(std::move(run));
  }
  if (failed_runs > 0) {
    std::string message;
    for (const std::string& f : failures) message += (message.empty() ? "" : "\n") + f;
    if (failed_runs > kMaxReportedRuns)
      message += "\n(and " + std::to_string(failed_runs - kMaxReportedRuns) + " more runs with problems)";
    throw core::UserError(message);
  }

  std::unordered_map<std::string, size_t> by_id;
  for (const PlannedRun& run : plan.runs) {
    const auto [it, fresh] = by_id.emplace(run.resolved.run_id, run.index);
    if (fresh) continue;
    const PlannedRun& other = plan.runs[it->second];
    throw core::UserError(spec.path + ": runs " + std::to_string(other.index) + " (" + describe_axes(other.axes) +
                          ") and " + std::to_string(run.index) + " (" + describe_axes(run.axes) +
                          ") resolve to the same run (id " + run.resolved.run_id +
                          "). HINT: axes that change nothing the run id depends on (launch.ranks_per_run, "
                          "train.log_every_steps, ...) give the same run twice; remove one, or zip them.");
  }

  plan.output_dir = output_dir;
  if (plan.output_dir.empty() && !plan.runs.empty()) {
    const auto it = plan.runs.front().resolved.values.find("run.output_dir");
    if (it != plan.runs.front().resolved.values.end()) plan.output_dir = std::get<std::string>(it->second);
  }
  if (plan.output_dir.empty()) plan.output_dir = "results";
  plan.layout = spec::ResultsLayout::of(plan.output_dir, spec.name);
  return plan;
}

Plan make_plan(const SweepSpec& spec, const std::string& output_dir) {
  return make_plan(spec, spec::RunConfigResolver(), output_dir);
}

}  // namespace clipscale::sweep
