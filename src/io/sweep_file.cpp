#include "io/sweep_file.h"

#include <filesystem>
#include <limits>
#include <map>
#include <set>

#include <fmt/format.h>

#include "core/error.h"
#include "io/csv_file.h"

namespace clipscale::io {
namespace {

constexpr const char* kSchemaVersionAttr = "schema_version";
constexpr const char* kKindAttr = "kind";
constexpr const char* kSweepAttr = "sweep";
constexpr const char* kCreatedAttr = "created_utc";
constexpr const char* kRunsGroup = "/runs";

int64_t samples_seen_of(const RunFile& run) {
  return run.train.empty() ? run.header.samples_seen_target : run.train.back().samples_seen;
}

}  // namespace

Table sweep_table_from_runs(const std::vector<RunFile>& runs) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  Table table;
  auto strings = [&](const char* name, auto get) {
    std::vector<std::string> values;
    for (const RunFile& r : runs) values.push_back(get(r));
    table.add_string(name, std::move(values));
  };
  auto integers = [&](const char* name, auto get) {
    std::vector<int64_t> values;
    for (const RunFile& r : runs) values.push_back(get(r));
    table.add_int64(name, std::move(values));
  };
  strings(kSweepRunIdColumn, [](const RunFile& r) { return r.header.run_id; });
  strings(kSweepStatusColumn, [](const RunFile& r) { return r.status; });
  strings("model", [](const RunFile& r) {
    const auto it = r.header.extra_string_attrs.find("model");
    return it == r.header.extra_string_attrs.end() ? std::string() : it->second;
  });
  strings("variant", [](const RunFile& r) { return r.header.variant; });
  strings("git_sha", [](const RunFile& r) { return r.header.git_sha; });
  integers("seed", [](const RunFile& r) { return r.header.seed; });
  integers("samples_seen", samples_seen_of);
  integers("samples_seen_target", [](const RunFile& r) { return r.header.samples_seen_target; });
  integers("data_size", [](const RunFile& r) { return r.header.data_size; });
  integers("world_size", [](const RunFile& r) { return r.header.world_size; });
  integers("params_image", [](const RunFile& r) { return r.header.params_image; });
  integers("params_text", [](const RunFile& r) { return r.header.params_text; });
  integers("params_total", [](const RunFile& r) { return r.header.params_total; });
  std::vector<double> flops, compute;
  for (const RunFile& r : runs) {
    flops.push_back(r.header.flops_per_sample);
    compute.push_back(3.0 * r.header.flops_per_sample * static_cast<double>(samples_seen_of(r)));
  }
  table.add_float64("flops_per_sample", std::move(flops));
  table.add_float64(kSweepComputeColumn, std::move(compute));

  // Other header attributes: string ones first, then numbers, each in name order.
  std::set<std::string> extra_strings, extra_numbers;
  for (const RunFile& r : runs) {
    for (const auto& [name, value] : r.header.extra_string_attrs) extra_strings.insert(name);
    for (const auto& [name, value] : r.header.extra_number_attrs) extra_numbers.insert(name);
  }
  for (const std::string& name : extra_strings) {
    if (table.has(name) || extra_numbers.count(name) > 0) continue;
    std::vector<std::string> values;
    for (const RunFile& r : runs) {
      const auto it = r.header.extra_string_attrs.find(name);
      values.push_back(it == r.header.extra_string_attrs.end() ? "" : it->second);
    }
    table.add_string(name, std::move(values));
  }
  for (const std::string& name : extra_numbers) {
    if (table.has(name) || extra_strings.count(name) > 0) continue;
    std::vector<double> values;
    for (const RunFile& r : runs) {
      const auto it = r.header.extra_number_attrs.find(name);
      values.push_back(it == r.header.extra_number_attrs.end() ? kNaN : it->second);
    }
    table.add_float64(name, std::move(values));
  }

  std::set<std::string> metrics;
  for (const RunFile& r : runs) {
    for (const auto& [task, values] : r.eval_final) {
      for (const auto& [metric, value] : values) metrics.insert(task + "/" + metric);
    }
  }
  for (const std::string& column : metrics) {
    const size_t slash = column.find('/');
    const std::string task = column.substr(0, slash), metric = column.substr(slash + 1);
    std::vector<double> values;
    for (const RunFile& r : runs) {
      const auto t = r.eval_final.find(task);
      const bool has = t != r.eval_final.end() && t->second.count(metric) > 0;
      values.push_back(has ? t->second.at(metric) : kNaN);
    }
    if (!table.has(column)) table.add_float64(column, std::move(values));
  }
  return table;
}

std::string sweep_csv_path(const std::string& h5_path) {
  return std::filesystem::path(h5_path).replace_extension(".csv").string();
}

void write_sweep_file(const std::string& path, const SweepFile& sweep) {
  CLIPSCALE_CHECK(sweep.runs.has(kSweepRunIdColumn) && sweep.runs.has(kSweepStatusColumn))
      << "a sweep table needs the run_id and status columns";
  Attributes root = sweep.attributes;
  root[kSchemaVersionAttr] = kSweepFileSchemaVersion;
  root[kKindAttr] = std::string(kSweepFileKind);
  root[kSweepAttr] = sweep.sweep;
  root[kCreatedAttr] = sweep.created_utc.empty() ? utc_timestamp() : sweep.created_utc;
  TableFileWriter writer(path);
  writer.set_attributes("/", root);
  writer.write_table(kRunsGroup, sweep.runs);
  writer.commit();
  write_csv(sweep_csv_path(path), sweep.runs);
}

SweepFile read_sweep_file(const std::string& path) {
  const TableFileReader reader(path);
  Attributes root = reader.attributes("/");
  const std::string kind = attribute_string(root, kKindAttr, path);
  if (kind != kSweepFileKind) {
    throw core::UserError(
        fmt::format("{}: root attribute 'kind' is '{}', expected '{}'. HINT: pass a sweep.h5 "
                    "written by `clipscale sweep collect`.",
                    path, kind, kSweepFileKind));
  }
  const double version = attribute_number(root, kSchemaVersionAttr, path, -1);
  if (version != static_cast<double>(kSweepFileSchemaVersion)) {
    throw core::UserError(
        fmt::format("{}: schema_version is {}, this clipscale reads {}. HINT: re-create it with "
                    "`clipscale sweep collect` of this version.",
                    path, version, kSweepFileSchemaVersion));
  }
  SweepFile sweep;
  sweep.sweep = attribute_string(root, kSweepAttr, path);
  sweep.created_utc = attribute_string(root, kCreatedAttr, path);
  for (const char* name : {kSchemaVersionAttr, kKindAttr, kSweepAttr, kCreatedAttr}) root.erase(name);
  sweep.attributes = std::move(root);
  sweep.runs = reader.read_table(kRunsGroup);
  for (const char* column : {kSweepRunIdColumn, kSweepStatusColumn, kSweepComputeColumn}) {
    if (!sweep.runs.has(column)) {
      throw core::UserError(
          fmt::format("{}: the runs table has no column '{}'. HINT: re-create the file with "
                      "`clipscale sweep collect`.",
                      path, column));
    }
  }
  return sweep;
}

}  // namespace clipscale::io
