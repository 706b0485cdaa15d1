#include "sweep/plan_report.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sweep/json_values.h"

namespace clipscale::sweep {
namespace {

using nlohmann::json;

// A cell for an axis value: strings unquoted, paths shortened to their file name.
std::string cell(const config::Value& value) {
  if (const auto* text = std::get_if<std::string>(&value))
    return text->find('/') == std::string::npos ? *text : std::filesystem::path(*text).filename().string();
  return config::format_value(value);
}

std::string params_text(int64_t params) {
  return params >= 1000000 ? fmt::format("{:.2f}M", params / 1e6) : fmt::format("{:.1f}k", params / 1e3);
}

}  // namespace

std::string format_plan_table(const Plan& plan, const Throughput& throughput) {
  std::vector<std::string> header = {"#", "run id"};
  for (const Axis& axis : plan.spec.axes) header.push_back(axis.key);
  for (const char* h : {"ranks", "params", "FLOPs/sample", "compute C", "est. time"}) header.push_back(h);
  std::vector<std::vector<std::string>> rows;
  double total_compute = 0;
  std::vector<double> times;
  bool all_known = true;
  for (const PlannedRun& run : plan.runs) {
    std::vector<std::string> row = {std::to_string(run.index), run.resolved.run_id};
    for (const AxisSetting& s : run.axes) row.push_back(cell(s.value));
    const auto seconds = throughput.estimate_seconds(run);
    if (seconds) times.push_back(*seconds);
    all_known = all_known && seconds.has_value();
    row.push_back(std::to_string(run.ranks));
    row.push_back(params_text(run.resolved.params_total));
    row.push_back(fmt::format("{:.3g}", run.resolved.flops_per_sample));
    row.push_back(fmt::format("{:.3g}", run.compute()));
    row.push_back(seconds ? format_duration(*seconds) : "-");
    total_compute += run.compute();
    rows.push_back(std::move(row));
  }
  std::vector<size_t> width(header.size());
  for (size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size();
    for (const auto& row : rows) width[c] = std::max(width[c], row[c].size());
  }
  // Numbers right-aligned (the last five columns and the index), text left-aligned.
  const auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t c = 0; c < cells.size(); ++c) {
      const bool right = c == 0 || c + 5 >= cells.size();
      out += (c == 0 ? "" : "  ") +
             (right ? fmt::format("{:>{}}", cells[c], width[c]) : fmt::format("{:<{}}", cells[c], width[c]));
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };

  std::string out = fmt::format("sweep {}: {} runs from {} (base {}), results in {}\n", plan.spec.name,
                                plan.runs.size(), plan.spec.path, plan.spec.base, plan.layout.root);
  out += line(header);
  for (const auto& row : rows) out += line(row);
  if (!plan.skipped.empty()) {
    out += fmt::format("skipped {} grid point{}:\n", plan.skipped.size(), plan.skipped.size() == 1 ? "" : "s");
    for (const SkippedRun& s : plan.skipped) out += "  " + describe_axes(s.axes) + ": " + s.reason + "\n";
  }
  out += fmt::format("total: {} runs, compute {:.3g} FLOPs", plan.runs.size(), total_compute);
  if (throughput.runs() == 0) {
    out += "; no time estimate yet (no run file with logged throughput in " + plan.layout.runs_dir() + ")\n";
  } else {
    double serial = 0;
    for (double t : times) serial += t;
    out += fmt::format("; {} of training, about {} with {} at once{} (throughput measured on {} run{})\n",
                       format_duration(serial), format_duration(wall_seconds(times, plan.spec.launch.concurrency)),
                       plan.spec.launch.concurrency, all_known ? "" : " (some runs unestimated)", throughput.runs(),
                       throughput.runs() == 1 ? "" : "s");
  }
  return out;
}

std::string format_plan_json(const Plan& plan, const Throughput& throughput) {
  json out;
  out["sweep"] = plan.spec.name;
  out["sweep_file"] = plan.spec.path;
  out["base"] = plan.spec.base;
  out["output_dir"] = plan.output_dir;
  out["results"] = plan.layout.root;
  out["axes"] = json::array();
  for (const Axis& axis : plan.spec.axes) {
    json values = json::array();
    for (const config::Value& v : axis.values) values.push_back(value_json(v));
    out["axes"].push_back({{"key", axis.key}, {"values", values}});
  }
  const LaunchSettings& l = plan.spec.launch;
  out["launch"] = {{"ranks_per_run", l.ranks_per_run},
                   {"threads_per_rank", l.threads_per_rank},
                   {"concurrency", l.concurrency},
                   {"max_retries", l.max_retries},
                   {"partition", l.partition},
                   {"time", l.time},
                   {"account", l.account},
                   {"max_concurrent", l.max_concurrent},
                   {"signal_seconds", l.signal_seconds},
                   {"sbatch_args", l.sbatch_args}};
  out["runs"] = json::array();
  double total_compute = 0, total_seconds = 0;
  bool all_known = !plan.runs.empty();
  for (const PlannedRun& run : plan.runs) {
    const ResolvedRun& r = run.resolved;
    const auto seconds = throughput.estimate_seconds(run);
    all_known = all_known && seconds.has_value();
    total_compute += run.compute();
    total_seconds += seconds.value_or(0);
    out["runs"].push_back({{"index", run.index},
                           {"run_id", r.run_id},
                           {"model", r.model_name},
                           {"axes", axes_json(run.axes)},
                           {"overrides", plan.train_overrides(run)},
                           {"ranks", run.ranks},
                           {"threads", run.threads},
                           {"params_total", r.params_total},
                           {"params_image", r.params_image},
                           {"params_text", r.params_text},
                           {"flops_per_sample", r.flops_per_sample},
                           {"samples_seen", r.samples_seen},
                           {"data_size", r.data_size},
                           {"compute", run.compute()},
                           {"estimated_seconds", seconds ? json(*seconds) : json(nullptr)}});
  }
  out["skipped"] = json::array();
  for (const SkippedRun& s : plan.skipped)
    out["skipped"].push_back({{"axes", axes_json(s.axes)}, {"reason", s.reason}});
  out["totals"] = {{"runs", plan.runs.size()},
                   {"skipped", plan.skipped.size()},
                   {"compute", total_compute},
                   {"estimated_seconds", all_known ? json(total_seconds) : json(nullptr)},
                   {"measured_runs", throughput.runs()}};
  return out.dump(2) + "\n";
}

}  // namespace clipscale::sweep
