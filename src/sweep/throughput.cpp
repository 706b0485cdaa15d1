#include "sweep/throughput.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

namespace clipscale::sweep {
namespace {

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

std::string model_of(const io::RunFile& run) {
  const auto it = run.header.extra_string_attrs.find("model");
  return it == run.header.extra_string_attrs.end() ? std::string() : it->second;
}

}  // namespace

void Throughput::add(const io::RunFile& run) {
  std::vector<double> rates;
  for (const io::TrainRecord& r : run.train)
    if (r.samples_per_s > 0 && std::isfinite(r.samples_per_s)) rates.push_back(r.samples_per_s);
  if (rates.empty() || !(run.header.flops_per_sample > 0)) return;
  rates_[model_of(run)].push_back(median(std::move(rates)) * run.header.flops_per_sample);
  ++runs_;
}

std::optional<double> Throughput::estimate_seconds(const PlannedRun& run) const {
  if (runs_ == 0) return std::nullopt;
  const auto it = rates_.find(run.resolved.model_name);
  double rate = 0;
  if (it != rates_.end()) {
    rate = median(it->second);
  } else {
    std::vector<double> all;
    for (const auto& [model, rates] : rates_) all.insert(all.end(), rates.begin(), rates.end());
    rate = median(std::move(all));
  }
  return run.resolved.flops_per_sample * static_cast<double>(run.resolved.samples_seen) / rate;
}

Throughput measure_throughput(const Plan& plan, int per_model) {
  // Finished runs are preferred (their throughput covers the whole run); at most 2 × per_model
  // files of a model are read.
  std::map<std::string, int> read, finished;
  std::map<std::string, std::vector<io::RunFile>> unfinished;
  Throughput throughput;
  for (const PlannedRun& run : plan.runs) {
    const std::string& model = run.resolved.model_name;
    if (finished[model] >= per_model || read[model] >= 2 * per_model) continue;
    const std::string path = plan.layout.run_file(run.resolved.run_id);
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) continue;
    ++read[model];
    try {
      io::RunFile file = io::read_run_file(path);
      if (file.status == io::kRunStatusDone) {
        throughput.add(file);
        ++finished[model];
      } else {
        unfinished[model].push_back(std::move(file));
      }
    } catch (const std::exception&) {
    }
  }
  for (auto& [model, files] : unfinished)
    for (size_t i = 0; i < files.size() && finished[model] + static_cast<int>(i) < per_model; ++i)
      throughput.add(files[i]);
  return throughput;
}

double wall_seconds(std::vector<double> seconds, int64_t slots, const std::vector<double>& busy) {
  std::sort(seconds.rbegin(), seconds.rend());
  std::vector<double> ends = busy;
  ends.resize(std::max(ends.size(), static_cast<size_t>(std::max<int64_t>(1, slots))), 0.0);
  for (double s : seconds) *std::min_element(ends.begin(), ends.end()) += s;
  return *std::max_element(ends.begin(), ends.end());
}

std::string format_duration(double seconds) {
  const auto s = static_cast<long long>(std::llround(std::max(0.0, seconds)));
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  return fmt::format("{}d{:02}h", s / 86400, (s % 86400) / 3600);
}

}  // namespace clipscale::sweep
