#include "analysis/dataset.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "core/error.h"
#include "spec/layout.h"
#include "io/run_file.h"
#include "io/sweep_file.h"

namespace clipscale::analysis {
namespace {

namespace fs = std::filesystem;

const std::map<std::string, std::string>& axis_aliases() {
  static const std::map<std::string, std::string> aliases = {
      {"compute", "compute"}, {"samples", "samples_seen"}, {"params", "params_total"}, {"data", "data_size"}};
  return aliases;
}

std::string column_list(const io::Table& table) {
  std::vector<std::string> names;
  for (const io::Column& c : table.columns()) names.push_back(c.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

// The column `name` (or the sweep column it is an alias of) of the table.
std::string resolve_column(const InputTable& input, const std::string& name, const std::string& flag) {
  if (input.table.has(name)) return name;
  const auto alias = axis_aliases().find(name);
  if (alias != axis_aliases().end() && input.table.has(alias->second)) return alias->second;
  throw core::UserError(
      fmt::format("{}: {} names column '{}', which the table does not have. HINT: the columns are: "
                  "{}.",
                  input.source, flag, name, column_list(input.table)));
}

std::vector<double> numeric_column(const InputTable& input, const std::string& column, const std::string& flag) {
  const io::Column* c = input.table.find(column);
  if (std::holds_alternative<std::vector<std::string>>(c->values)) {
    throw core::UserError(
        fmt::format("{}: {} column '{}' holds text, expected numbers. HINT: pick a numeric column "
                    "(columns: {}).",
                    input.source, flag, column, column_list(input.table)));
  }
  return input.table.numbers(column);
}

struct Filter {
  std::string text;
  std::string column;
  std::string op;
  std::string value;
};

Filter parse_filter(const InputTable& input, const std::string& text, const std::string& flag) {
  for (const char* op : {"!=", "<=", ">=", "=", "<", ">"}) {
    const size_t at = text.find(op);
    if (at == std::string::npos || at == 0) continue;
    Filter f{text, text.substr(0, at), op, text.substr(at + std::string(op).size())};
    f.column = resolve_column(input, f.column, flag + " '" + text + "'");
    return f;
  }
  throw core::UserError(
      fmt::format("{} '{}' is not a filter. HINT: write COLUMN=VALUE, COLUMN!=VALUE, COLUMN<VALUE, "
                  "COLUMN<=VALUE, COLUMN>VALUE or COLUMN>=VALUE, e.g. downstream_dataset=imagenet1k.",
                  flag, text));
}

// Rows of `input` for which `filter` holds.
std::vector<bool> apply_filter(const InputTable& input, const Filter& f, const std::string& flag) {
  const io::Column* c = input.table.find(f.column);
  std::vector<bool> keep(input.table.rows(), false);
  if (std::holds_alternative<std::vector<std::string>>(c->values)) {
    if (f.op != "=" && f.op != "!=") {
      throw core::UserError(
          fmt::format("{} '{}': column '{}' holds text, which only compares with = or !=. HINT: use "
                      "{}={} or {}!={}.",
                      flag, f.text, f.column, f.column, f.value, f.column, f.value));
    }
    const auto& values = std::get<std::vector<std::string>>(c->values);
    for (size_t r = 0; r < values.size(); ++r) keep[r] = (values[r] == f.value) == (f.op == "=");
    return keep;
  }
  char* end = nullptr;
  const double target = std::strtod(f.value.c_str(), &end);
  if (f.value.empty() || end != f.value.c_str() + f.value.size()) {
    throw core::UserError(fmt::format("{} '{}': column '{}' holds numbers, and '{}' is not one. HINT: e.g. {}{}1e18.",
                                      flag, f.text, f.column, f.value, f.column, f.op));
  }
  const std::vector<double> values = input.table.numbers(f.column);
  for (size_t r = 0; r < values.size(); ++r) {
    const double v = values[r];
    if (f.op == "=") keep[r] = v == target;
    if (f.op == "!=") keep[r] = v != target;
    if (f.op == "<") keep[r] = v < target;
    if (f.op == "<=") keep[r] = v <= target;
    if (f.op == ">") keep[r] = v > target;
    if (f.op == ">=") keep[r] = v >= target;
  }
  return keep;
}

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// "line 12 (run r3)" for a CSV row, "row 3 (run r3)" otherwise.
std::string row_name(const InputTable& input, size_t row, const std::string& id) {
  return input.kind == "csv" ? fmt::format("line {} ({})", row + 2, id) : fmt::format("row {} ({})", row + 1, id);
}

[[noreturn]] void bad_value(const InputTable& input, size_t row, const std::string& id, const std::string& column,
                            double value, const std::string& rule, const std::string& hint) {
  throw core::UserError(fmt::format("{}: {}: {} = {} violates {}. HINT: {}", input.source, row_name(input, row, id),
                                    column, value, rule, hint));
}

struct Selection {
  std::string label;
  std::vector<Filter> filters;
};

}  // namespace

InputTable load_input(const std::string& path) {
  std::error_code ec;
  InputTable input;
  input.source = path;
  const fs::path p(path);
  if (fs::is_regular_file(p, ec)) {
    if (p.extension() == ".csv") {
      input.kind = "csv";
      input.table = io::read_csv(path);
      return input;
    }
    if (p.extension() == ".h5") {
      input.kind = "sweep";
      input.table = io::read_sweep_file(path).runs;
      return input;
    }
    throw core::UserError(
        fmt::format("{}: not a .csv or .h5 file. HINT: pass a CSV table, a sweep.h5, or a "
                    "results/<sweep> folder.",
                    path));
  }
  if (!fs::is_directory(p, ec)) {
    throw core::UserError(
        fmt::format("{}: no such file or folder. HINT: pass results/<sweep>, a sweep.h5, or a CSV "
                    "table.",
                    path));
  }
  if (fs::is_regular_file(p / spec::kSweepFileName, ec)) {
    input.kind = "sweep";
    input.table = io::read_sweep_file((p / spec::kSweepFileName).string()).runs;
    return input;
  }
  const fs::path runs_dir = fs::is_directory(p / spec::kRunsFolder, ec) ? p / spec::kRunsFolder : p;
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(runs_dir, ec)) {
    if (entry.is_regular_file() && entry.path().extension() == ".h5") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    throw core::UserError(
        fmt::format("{}: holds no sweep.h5 and no run files (runs/*.h5). HINT: run `clipscale "
                    "sweep collect` for the sweep, or pass a CSV table.",
                    path));
  }
  std::vector<io::RunFile> runs;
  for (const std::string& f : files) runs.push_back(io::read_run_file(f));
  input.kind = "runs";
  input.table = io::sweep_table_from_runs(runs);
  return input;
}

std::vector<Series> make_series(const InputTable& input, const ColumnMapping& m, LawForm form,
                                const std::string& label) {
  if (m.metric.empty()) {
    throw core::UserError(fmt::format("{}: no --metric given. HINT: name the metric column; the columns are: {}.",
                                      input.source, column_list(input.table)));
  }
  const size_t rows = input.table.rows();
  const std::string metric = resolve_column(input, m.metric, "--metric");
  const std::string x_column = resolve_column(input, m.x, "--x");
  const std::vector<double> metric_values = numeric_column(input, metric, "--metric");
  const std::vector<double> x_values = numeric_column(input, x_column, "--x");
  const bool joint = form == LawForm::kJoint;
  std::string n_column, d_column;
  std::vector<double> n_values(rows, 0.0), d_values(rows, 0.0);
  if (joint) {
    n_column = resolve_column(input, m.n, "--n");
    n_values = numeric_column(input, n_column, "--n");
    if (m.d_from_compute > 0) {
      d_column = fmt::format("{} / ({:g} * {})", x_column, m.d_from_compute, n_column);
      for (size_t r = 0; r < rows; ++r) d_values[r] = x_values[r] / (m.d_from_compute * n_values[r]);
    } else {
      d_column = resolve_column(input, m.d, "--d");
      d_values = numeric_column(input, d_column, "--d");
    }
  }
  bool one_minus = true;
  if (m.error == "auto") {
    one_minus = lowercase(metric).find("loss") == std::string::npos;
  } else if (m.error == "one-minus" || m.error == "identity") {
    one_minus = m.error == "one-minus";
  } else {
    throw core::UserError(
        fmt::format("--error = '{}' is not an error definition. HINT: use one-minus (E = 1 - "
                    "metric, for accuracies and recalls), identity (E = metric, for losses) or auto.",
                    m.error));
  }

  const std::string id_column = !m.id.empty()               ? resolve_column(input, m.id, "--id")
                                : input.table.has("run_id") ? "run_id"
                                : input.table.has("name")   ? "name"
                                                            : "";
  std::vector<std::string> ids = id_column.empty() ? std::vector<std::string>(rows) : input.table.strings(id_column);
  for (size_t r = 0; r < rows && id_column.empty(); ++r) ids[r] = fmt::format("row {}", r + 1);

  // Rows every series keeps: the --where filters and, for sweeps, finished runs.
  std::vector<bool> base(rows, true);
  std::vector<std::string> selection;
  for (const std::string& text : m.where) {
    const Filter f = parse_filter(input, text, "--where");
    const std::vector<bool> keep = apply_filter(input, f, "--where");
    for (size_t r = 0; r < rows; ++r) base[r] = base[r] && keep[r];
    selection.push_back(f.column + " " + f.op + " " + f.value);
  }
  if (input.table.has("status") && !m.include_unfinished) {
    const std::vector<std::string> status = input.table.strings("status");
    size_t skipped = 0;
    for (size_t r = 0; r < rows; ++r) {
      if (base[r] && status[r] != io::kRunStatusDone) {
        base[r] = false;
        ++skipped;
      }
    }
    if (skipped > 0)
      spdlog::info("{}: {} runs are not done and are left out (--include-unfinished keeps them)", input.source,
                   skipped);
    selection.push_back("status = done");
  }

  std::vector<Selection> selections;
  if (!m.variants.empty()) {
    for (const std::string& spec : m.variants) {
      const size_t colon = spec.find(':');
      if (colon == std::string::npos || colon == 0) {
        throw core::UserError(
            fmt::format("--variant '{}' is not NAME:FILTER. HINT: e.g. --variant "
                        "'OpenAI:upstream_dataset=CLIP-WIT'; join filters with &.",
                        spec));
      }
      Selection s{spec.substr(0, colon), {}};
      std::string rest = spec.substr(colon + 1);
      size_t start = 0;
      while (start <= rest.size()) {
        const size_t amp = rest.find('&', start);
        const std::string part = rest.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
        if (!part.empty()) s.filters.push_back(parse_filter(input, part, "--variant '" + spec + "'"));
        if (amp == std::string::npos) break;
        start = amp + 1;
      }
      selections.push_back(s);
    }
  } else if (!m.group.empty()) {
    const std::string group = resolve_column(input, m.group, "--group");
    const std::vector<std::string> values = input.table.strings(group);
    std::vector<std::string> seen;
    for (size_t r = 0; r < rows; ++r) {
      if (base[r] && std::find(seen.begin(), seen.end(), values[r]) == seen.end()) seen.push_back(values[r]);
    }
    for (const std::string& v : seen) selections.push_back({v, {Filter{group + "=" + v, group, "=", v}}});
  } else {
    selections.push_back({label, {}});
  }

  std::vector<Series> out;
  for (const Selection& s : selections) {
    std::vector<bool> keep = base;
    std::vector<std::string> words = selection;
    for (const Filter& f : s.filters) {
      const std::vector<bool> k = apply_filter(input, f, "--variant");
      for (size_t r = 0; r < rows; ++r) keep[r] = keep[r] && k[r];
      words.push_back(f.column + " " + f.op + " " + f.value);
    }
    Series series;
    SeriesInfo& info = series.info;
    info.variant = s.label;
    info.source = input.source;
    info.metric = metric;
    info.one_minus = one_minus;
    info.name = s.label.empty() ? info.error_definition() : s.label;
    info.x_column = x_column;
    info.x_unit = !m.x_unit.empty() ? m.x_unit : (input.kind != "csv" && x_column == "compute" ? "FLOPs" : "");
    info.n_column = n_column;
    info.d_column = d_column;
    info.selection = words.empty() ? "all rows" : fmt::format("{}", fmt::join(words, "; "));
    const std::string error_hint = one_minus
                                       ? "E = 1 - metric must be > 0, so the metric must be < 1 (a fraction, not a "
                                         "percentage); leave the row out with --where, or use --error identity for a "
                                         "loss."
                                       : "E = metric must be > 0; leave the row out with --where.";
    for (size_t r = 0; r < rows; ++r) {
      if (!keep[r]) continue;
      Observation o;
      o.id = ids[r];
      o.x = x_values[r];
      if (!(o.x > 0) || !std::isfinite(o.x)) {
        bad_value(input, r, o.id, x_column, o.x, "0 < x < inf (laws are fitted in log x)",
                  "leave the row out with --where, or pick another --x column.");
      }
      const double value = metric_values[r];
      o.error = one_minus ? 1.0 - value : value;
      if (!std::isfinite(value) || !(o.error > 0)) {
        bad_value(input, r, o.id, metric, value, one_minus ? "0 < 1 - metric" : "0 < metric < inf", error_hint);
      }
      if (joint) {
        o.n = n_values[r];
        o.d = d_values[r];
        if (!(o.n > 0) || !std::isfinite(o.n)) {
          bad_value(input, r, o.id, n_column, o.n, "0 < n < inf", "leave the row out with --where.");
        }
        if (!(o.d > 0) || !std::isfinite(o.d)) {
          bad_value(input, r, o.id, d_column, o.d, "0 < d < inf", "leave the row out with --where.");
        }
      }
      series.observations.push_back(o);
    }
    out.push_back(std::move(series));
  }
  return out;
}

}  // namespace clipscale::analysis
