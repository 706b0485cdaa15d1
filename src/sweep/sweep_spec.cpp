#include "sweep/sweep_spec.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "config/did_you_mean.h"
#include "core/error.h"

namespace clipscale::sweep {
namespace {

std::string with_hint(std::string line, const std::string& hint) {
  line += " HINT: " + hint;
  if (!hint.empty() && hint.back() != '.' && hint.back() != '?') line += '.';
  return line;
}

// Reads a sweep file with config::Document (the one TOML reader): [sweep], [filter] and [launch]
// are schema keys, [axes] and [zip] open tables whose keys are checked here against the run-config
// schema. Every problem is collected and reported at once, sorted by line.
class SpecReader {
 public:
  SpecReader(const std::string& path, const config::Schema& run_schema) : path_(path), run_schema_(run_schema) {}

  SweepSpec read() {
    SweepSpec spec;
    spec.path = path_;
    std::vector<config::Problem> problems;
    spec.settings = config::Document::load(sweep_file_schema(), path_, {}, {}, &problems);
    for (config::Problem& p : problems) report(p.line, std::move(p.text));
    read_axes(spec);
    read_zip(spec);
    check_repeats(spec);
    read_filter_rules(spec);
    read_settings(spec);
    if (!problems_.empty()) {
      std::stable_sort(problems_.begin(), problems_.end(),
                       [](const config::Problem& a, const config::Problem& b) { return a.line < b.line; });
      std::string message;
      for (const config::Problem& p : problems_) message += (message.empty() ? "" : "\n") + p.text;
      throw core::UserError(message);
    }
    return spec;
  }

 private:
  std::string where(int line) const { return path_ + ":" + std::to_string(line); }
  void report(int line, std::string text) { problems_.push_back({line, std::move(text)}); }

  // The spec an axis key's values must satisfy: the run schema's, or the launch setting's.
  const config::KeySpec* axis_spec(const std::string& key, int line) {
    if (key == kRanksAxis || key == kThreadsAxis) return sweep_file_schema().find(key);
    const auto set_by_sweep = [&](const std::string& hint) {
      report(line, with_hint(where(line) + ": axes." + key + " can't be an axis.", hint));
      return nullptr;
    };
    if (key == "run.name") return set_by_sweep("every run's run.name is the sweep's name ([sweep] name)");
    if (key == "run.output_dir")
      return set_by_sweep(
          "results go to <run.output_dir>/<sweep name>/; set run.output_dir in the base config or "
          "pass --output-dir");
    if (key == "train.threads") return set_by_sweep("use launch.threads_per_rank (an axis too, if it must vary)");
    const config::KeySpec* spec = run_schema_.find(key);
    if (spec == nullptr) {
      std::vector<std::string> keys = run_schema_.key_names();
      keys.push_back(kRanksAxis);
      keys.push_back(kThreadsAxis);
      const auto close = config::closest_key(key, keys);
      report(line, with_hint(where(line) + ": unknown axis key '" + key + "'.",
                             close ? "did you mean '" + *close + "'?"
                                   : "an axis is a run-config key (clipscale train BASE --dry-run lists them), "
                                     "launch.ranks_per_run or launch.threads_per_rank"));
    }
    return spec;
  }

  void read_axes(SweepSpec& spec) {
    for (const config::TableEntry& entry : spec.settings->table("axes")) {
      const std::string& key = entry.key;
      const int line = entry.source.line;
      const config::KeySpec* key_spec = axis_spec(key, line);
      if (key_spec == nullptr) continue;
      const std::string example = key_spec->type == config::ValueType::kStringList ? "[[\"a\"], [\"a\", \"b\"]]"
                                  : key_spec->type == config::ValueType::kString   ? "[\"a\", \"b\"]"
                                                                                   : "[1, 2]";
      const std::optional<config::ValueList> values = config::list_items(entry.value);
      if (!values || values->empty()) {
        report(line, with_hint(where(line) + ": axes." + key + " = " + config::format_value(entry.value) +
                                   " is not a list of values.",
                               "an axis lists the values the runs take, e.g. " + key + " = " + example));
        continue;
      }
      Axis axis{key, {}, line};
      for (size_t i = 0; i < values->size(); ++i) {
        const config::Value& item = (*values)[i];
        const int item_line = i < entry.item_lines.size() && entry.item_lines[i] > 0 ? entry.item_lines[i] : line;
        const std::string at = where(item_line) + ": axes." + key + "[" + std::to_string(i) + "] = ";
        std::optional<config::Value> value = config::convert_value(item, key_spec->type);
        if (!value) {
          report(item_line, with_hint(at + config::format_value(item) + " is not " +
                                          (key_spec->type == config::ValueType::kInt ? "an " : "a ") +
                                          std::string(config::type_name(key_spec->type)) + ".",
                                      "write the axis as " + key + " = " + example));
          continue;
        }
        if (!key_spec->satisfied_by(*value)) {
          report(item_line,
                 with_hint(at + config::format_value(*value) + " violates " + key_spec->rule() + ".", key_spec->doc));
          continue;
        }
        axis.values.push_back(std::move(*value));
      }
      spec.axes.push_back(std::move(axis));
    }
  }

  void read_zip(SweepSpec& spec) {
    const std::string hint = "write [zip] followed by name = [\"axis.key\", \"other.key\"]";
    std::set<std::string> zipped;
    for (const config::TableEntry& entry : spec.settings->table("zip")) {
      const int line = entry.source.line;
      const std::string at = where(line) + ": zip." + entry.key;
      const auto keys = config::convert_value(entry.value, config::ValueType::kStringList);
      if (!keys || std::get<std::vector<std::string>>(*keys).empty()) {
        report(line, with_hint(at + " is not a list of axis keys.", hint));
        continue;
      }
      std::vector<std::string> group;
      const Axis* first = nullptr;
      bool ok = true;
      for (const std::string& key : std::get<std::vector<std::string>>(*keys)) {
        const Axis* axis = spec.find_axis(key);
        if (axis == nullptr) {
          std::vector<std::string> names;
          for (const Axis& a : spec.axes) names.push_back(a.key);
          const auto close = config::closest_key(key, names);
          report(line, with_hint(at + " names '" + key + "', which is not an axis.",
                                 close ? "did you mean '" + *close + "'?" : "zip only axes listed in [axes]"));
          ok = false;
        } else if (!zipped.insert(key).second) {
          report(line, with_hint(at + " names '" + key + "', which is already zipped.",
                                 "an axis belongs to at most one zip group"));
          ok = false;
        } else if (first != nullptr && axis->values.size() != first->values.size()) {
          report(line,
                 with_hint(at + " zips axes of different lengths: " + first->key + " has " +
                               std::to_string(first->values.size()) + " values (line " + std::to_string(first->line) +
                               "), " + key + " has " + std::to_string(axis->values.size()) + " (line " +
                               std::to_string(axis->line) + ").",
                           "zipped axes take their values pairwise; give them the same number of values"));
          ok = false;
        } else if (first == nullptr) {
          first = axis;
        }
        group.push_back(key);
      }
      if (ok) spec.zip_groups.push_back(std::move(group));
    }
  }

  // A value listed twice in an axis of its own gives the same runs twice. (In a zip group values
  // may repeat: [1, 2, 1] ranks beside three seeds.)
  void check_repeats(const SweepSpec& spec) {
    for (const Axis& axis : spec.axes) {
      bool zipped = false;
      for (const auto& group : spec.zip_groups)
        zipped = zipped || std::find(group.begin(), group.end(), axis.key) != group.end();
      for (size_t i = 0; i < axis.values.size() && !zipped; ++i) {
        if (std::find(axis.values.begin(), axis.values.begin() + static_cast<std::ptrdiff_t>(i), axis.values[i]) ==
            axis.values.begin() + static_cast<std::ptrdiff_t>(i))
          continue;
        report(axis.line, with_hint(where(axis.line) + ": axes." + axis.key + " lists " +
                                        config::format_value(axis.values[i]) + " twice.",
                                    "each value of an axis gives different runs; remove the repeat"));
        break;
      }
    }
  }

  // The skip_if rules, each reported at its own line.
  void read_filter_rules(SweepSpec& spec) {
    const config::Document& doc = *spec.settings;
    std::map<std::string, FilterType> types = derived_filter_names();
    for (const config::KeySpec& key : run_schema_.keys()) {
      types[key.key] = key.type == config::ValueType::kBool ? FilterType::kBool
                       : key.type == config::ValueType::kInt || key.type == config::ValueType::kFloat
                           ? FilterType::kNumber
                           : FilterType::kString;
    }
    const auto& rules = doc.get_string_list("filter.skip_if");
    for (size_t i = 0; i < rules.size(); ++i) {
      const int line = doc.item_source("filter.skip_if", i).line;
      try {
        spec.filter.skip_if.push_back(
            FilterRule::parse(rules[i], where(line) + ": filter.skip_if[" + std::to_string(i) + "]", types));
      } catch (const core::UserError& e) {
        report(line, e.what());
      }
    }
  }

  void read_settings(SweepSpec& spec) {
    const config::Document& doc = *spec.settings;
    spec.name = doc.get_string("sweep.name");
    if (spec.name.empty()) spec.name = std::filesystem::path(path_).stem().string();
    if (spec.name.empty() || spec.name == "." || spec.name == ".." ||
        spec.name.find_first_of("/\t\n\r") != std::string::npos) {
      report(doc.source("sweep.name").line,
             doc.violation("sweep.name", "a folder name (not empty, '.' or '..'; no '/', tab or line break)",
                           "results go to <run.output_dir>/<sweep.name>/"));
    }
    spec.base = doc.get_string("sweep.base");
    spec.filter.skip_if_samples_below_data_size = doc.get_bool("filter.skip_if_samples_below_data_size");
    LaunchSettings& l = spec.launch;
    l.ranks_per_run = doc.get_int("launch.ranks_per_run");
    l.threads_per_rank = doc.get_int("launch.threads_per_rank");
    l.concurrency = doc.get_int("launch.concurrency");
    l.max_retries = doc.get_int("launch.max_retries");
    l.partition = doc.get_string("launch.partition");
    l.time = doc.get_string("launch.time");
    l.account = doc.get_string("launch.account");
    l.max_concurrent = doc.get_int("launch.max_concurrent");
    l.signal_seconds = doc.get_int("launch.signal_seconds");
    l.sbatch_args = doc.get_string_list("launch.sbatch_args");
    l.sbatch_template = doc.get_string("launch.sbatch_template");
  }

  std::string path_;
  const config::Schema& run_schema_;
  std::vector<config::Problem> problems_;
};

}  // namespace

const Axis* SweepSpec::find_axis(std::string_view key) const {
  for (const Axis& axis : axes)
    if (axis.key == key) return &axis;
  return nullptr;
}

const config::Schema& sweep_file_schema() {
  static const config::Schema schema = [] {
    config::Schema s;
    s.add_string("sweep.name", "", "results go to <run.output_dir>/<sweep.name>/; empty: the sweep file's stem")
        .add_string("sweep.base", std::nullopt,
                    "the run config every run starts from, e.g. experiments/runs/quickstart.toml")
        .add_bool("filter.skip_if_samples_below_data_size", false,
                  "skip runs whose train.samples_seen is below their data.data_size (they would not see every sample)")
        .add_string_list("filter.skip_if", std::vector<std::string>{},
                         "skip rules such as \"compute > 2e15\" or \"model == \\\"clip-w64-l2\\\" and "
                         "train.samples_seen < 64000\"; a run is skipped when any rule holds")
        .add_int("launch.ranks_per_run", 1, "processes per run (mpirun -np, srun -n)", 1.0)
        .add_int("launch.threads_per_rank", 0, "train.threads of every run; 0 keeps the base config's value", 0.0)
        .add_int("launch.concurrency", 1, "runs at once with the local launcher", 1.0)
        .add_int("launch.max_retries", 1, "restarts of a run that failed (preempted runs are always requeued)", 0.0)
        .add_string("launch.partition", "", "SLURM partition; empty: the cluster's default")
        .add_string("launch.time", "", "SLURM time limit per run, e.g. \"02:00:00\"; empty: the partition's default")
        .add_string("launch.account", "", "SLURM account; empty: none")
        .add_int("launch.max_concurrent", 0, "SLURM array tasks running at once (--array=...%N); 0: no limit", 0.0)
        .add_int("launch.signal_seconds", 120,
                 "seconds before the time limit at which SLURM sends USR1 (checkpoint, then requeue); 0: none", 0.0)
        .add_string_list("launch.sbatch_args", std::vector<std::string>{},
                         "more sbatch options, one per item, e.g. [\"--qos=short\", \"--mem=8G\"]")
        .add_string("launch.sbatch_template", "",
                    "array job script template (slurm/array.sbatch.in's placeholders); empty: the built-in one")
        .add_table("axes", "an axis lists the values the runs take, e.g. train.samples_seen = [32000, 64000]")
        .add_table("zip", "write [zip] followed by name = [\"axis.key\", \"other.key\"]")
        .close_sections();
    return s;
  }();
  return schema;
}

SweepSpec load_sweep_spec(const std::string& path, const config::Schema& run_schema) {
  return SpecReader(path, run_schema).read();
}

}  // namespace clipscale::sweep
