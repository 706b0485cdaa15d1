#include "sweep/collect.h"

#include <filesystem>

#include "core/error.h"

namespace clipscale::sweep {

io::Table collect_table(const Plan& plan, const std::vector<const PlannedRun*>& runs,
                        const std::vector<io::RunFile>& files) {
  CLIPSCALE_CHECK_EQ(runs.size(), files.size()) << "one run file per run";
  const io::Table run_table = io::sweep_table_from_runs(files);
  io::Table table;
  std::vector<int64_t> index;
  for (const PlannedRun* run : runs) index.push_back(static_cast<int64_t>(run->index));
  table.add_int64("index", std::move(index));
  for (size_t a = 0; a < plan.spec.axes.size(); ++a) {
    const Axis& axis = plan.spec.axes[a];
    if (run_table.has(axis.key) || table.has(axis.key)) continue;
    const config::ValueType type = config::type_of(axis.values.front());
    if (type == config::ValueType::kInt || type == config::ValueType::kBool) {
      std::vector<int64_t> values;
      for (const PlannedRun* run : runs) {
        const config::Value& v = run->axes[a].value;
        values.push_back(type == config::ValueType::kBool ? int64_t{std::get<bool>(v)} : std::get<int64_t>(v));
      }
      table.add_int64(axis.key, std::move(values));
    } else if (type == config::ValueType::kFloat) {
      std::vector<double> values;
      for (const PlannedRun* run : runs) values.push_back(std::get<double>(run->axes[a].value));
      table.add_float64(axis.key, std::move(values));
    } else {
      std::vector<std::string> values;
      for (const PlannedRun* run : runs) {
        const config::Value& v = run->axes[a].value;
        values.push_back(type == config::ValueType::kString ? std::get<std::string>(v) : config::format_value(v));
      }
      table.add_string(axis.key, std::move(values));
    }
  }
  for (const io::Column& column : run_table.columns()) table.add(column.name, column.values);
  return table;
}

CollectResult collect_sweep(const Plan& plan) {
  CollectResult result;
  result.path = plan.layout.sweep_file();
  std::vector<const PlannedRun*> runs;
  std::vector<io::RunFile> files;
  for (const PlannedRun& run : plan.runs) {
    const std::string path = plan.layout.run_file(run.resolved.run_id);
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      result.missing.push_back(run.resolved.run_id);
      continue;
    }
    try {
      files.push_back(io::read_run_file(path));
    } catch (const core::UserError& e) {
      result.unreadable.push_back(e.what());
      continue;
    }
    runs.push_back(&run);
    if (files.back().status == io::kRunStatusDone) ++result.done;
  }
  result.rows = files.size();
  io::SweepFile sweep;
  sweep.sweep = plan.spec.name;
  std::string axes;
  for (const Axis& axis : plan.spec.axes) axes += (axes.empty() ? "" : ",") + axis.key;
  sweep.attributes = {{"sweep_file", plan.spec.path},
                      {"base_config", plan.spec.base},
                      {"axes", axes},
                      {"runs_planned", static_cast<int64_t>(plan.runs.size())},
                      {"runs_missing", static_cast<int64_t>(result.missing.size() + result.unreadable.size())}};
  sweep.runs = collect_table(plan, runs, files);
  io::write_sweep_file(result.path, sweep);
  return result;
}

}  // namespace clipscale::sweep
