#include "sweep/sweep_spec.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <tuple>

#include <toml++/toml.h>

#include "config/did_you_mean.h"
#include "core/error.h"

namespace clipscale::sweep {
namespace {

const std::vector<std::string> kSections = {"sweep", "axes", "zip", "filter", "launch"};

// A problem with the line it is reported at (problems are sorted by line).
struct Problem {
  int line;
  std::string text;
};

std::string with_hint(std::string line, const std::string& hint) {
  line += " HINT: " + hint;
  if (!hint.empty() && hint.back() != '.' && hint.back() != '?') line += '.';
  return line;
}

int line_of(const toml::node& node) { return static_cast<int>(node.source().begin.line); }

// The node as a value of `type` (an int also reads as a float), or nullopt.
std::optional<config::Value> convert(const toml::node& node, config::ValueType type) {
  switch (type) {
    case config::ValueType::kBool:
      if (const auto* v = node.as_boolean()) return config::Value{v->get()};
      break;
    case config::ValueType::kInt:
      if (const auto* v = node.as_integer()) return config::Value{v->get()};
      break;
    case config::ValueType::kFloat:
      if (const auto* v = node.as_floating_point()) return config::Value{v->get()};
      if (const auto* v = node.as_integer()) return config::Value{static_cast<double>(v->get())};
      break;
    case config::ValueType::kString:
      if (const auto* v = node.as_string()) return config::Value{v->get()};
      break;
    case config::ValueType::kStringList:
      if (const auto* array = node.as_array()) {
        std::vector<std::string> items;
        for (const toml::node& item : *array) {
          if (!item.is_string()) return std::nullopt;
          items.push_back(item.as_string()->get());
        }
        return config::Value{std::move(items)};
      }
      break;
  }
  return std::nullopt;
}

// The node as the user wrote it, roughly (for messages).
std::string render(const toml::node& node) {
  if (const auto* v = node.as_string()) return config::format_string(v->get());
  if (const auto* v = node.as_integer()) return std::to_string(v->get());
  if (const auto* v = node.as_floating_point()) return config::format_float(v->get());
  if (const auto* v = node.as_boolean()) return v->get() ? "true" : "false";
  if (node.is_array()) return "[...]";
  if (node.is_table()) return "{...}";
  return "a date or time";
}

// A key of a TOML table with its value and position.
struct Entry {
  std::string key;
  const toml::node* node;
  int line;
  int column;
};

// The entries of `table` in file order (toml++ iterates tables in key order).
std::vector<Entry> in_file_order(const toml::table& table) {
  std::vector<Entry> out;
  for (auto&& [k, node] : table) {
    out.push_back({std::string(k.str()), &node, static_cast<int>(k.source().begin.line),
                   static_cast<int>(k.source().begin.column)});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Entry& a, const Entry& b) { return std::tie(a.line, a.column) < std::tie(b.line, b.column); });
  return out;
}

// Leaves of [axes] with their dotted keys ([axes] model.config = [...] nests a table "model"),
// in file order.
void flatten_axes(const toml::table& table, const std::string& prefix, std::vector<Entry>& out) {
  for (const Entry& e : in_file_order(table)) {
    const std::string key = prefix.empty() ? e.key : prefix + "." + e.key;
    if (const toml::table* sub = e.node->as_table()) {
      flatten_axes(*sub, key, out);
    } else {
      out.push_back({key, e.node, e.line, e.column});
    }
  }
}

class SpecReader {
 public:
  SpecReader(const std::string& path, const config::Schema& run_schema) : path_(path), run_schema_(run_schema) {}

  SweepSpec read() {
    SweepSpec spec;
    spec.path = path_;
    std::optional<toml::table> table = parse();
    std::vector<std::string> foreign = {"axes", "zip"};
    if (table) {
      for (auto&& [k, node] : *table) {
        const std::string name(k.str());
        if (std::find(kSections.begin(), kSections.end(), name) != kSections.end()) continue;
        foreign.push_back(name);
        const auto close = config::did_you_mean(name, kSections);
        report(static_cast<int>(k.source().begin.line),
               with_hint(where(static_cast<int>(k.source().begin.line)) + ": unknown section or key '" + name + "'.",
                         close ? "did you mean [" + *close + "]?"
                               : "a sweep file has the sections [sweep], [axes], [zip], [filter] and [launch]"));
      }
    }
    try {
      spec.settings = config::Document::load(sweep_file_schema(), path_, {}, foreign);
    } catch (const core::UserError& e) {
      add_lines(e.what());
    }
    if (table) {
      read_axes(*table, spec);
      read_zip(*table, spec);
      check_repeats(spec);
      read_filter_rules(*table, spec);
    }
    if (spec.settings) read_settings(spec);
    if (!problems_.empty()) {
      std::stable_sort(problems_.begin(), problems_.end(),
                       [](const Problem& a, const Problem& b) { return a.line < b.line; });
      std::string message;
      for (const Problem& p : problems_) message += (message.empty() ? "" : "\n") + p.text;
      throw core::UserError(message);
    }
    return spec;
  }

 private:
  std::string where(int line) const { return path_ + ":" + std::to_string(line); }
  void report(int line, std::string text) { problems_.push_back({line, std::move(text)}); }

  // The Document's own message lines, kept at their "path:line:" position when they have one.
  void add_lines(const std::string& message) {
    size_t start = 0;
    while (start <= message.size()) {
      size_t end = message.find('\n', start);
      if (end == std::string::npos) end = message.size();
      const std::string line = message.substr(start, end - start);
      int at = 0;
      if (line.rfind(path_ + ":", 0) == 0) at = std::atoi(line.c_str() + path_.size() + 1);
      if (!line.empty()) report(at, line);
      start = end + 1;
    }
  }

  // The TOML table, or nullopt when the file can't be read or parsed (Document::load reports why).
  std::optional<toml::table> parse() const {
    std::ifstream in(path_, std::ios::binary);
    if (!in || std::filesystem::is_directory(path_)) return std::nullopt;
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    try {
      return toml::parse(text, path_);
    } catch (const toml::parse_error&) {
      return std::nullopt;
    }
  }

  // The spec an axis key's values must satisfy: the run schema's, or the launch setting's.
  const config::KeySpec* axis_spec(const std::string& key, int line) {
    if (key == kRanksAxis || key == kThreadsAxis) return sweep_file_schema().find(key);
    const auto set_by_sweep = [&](const std::string& hint) {
      report(line, with_hint(where(line) + ": axes." + key + " can't be an axis.", hint));
      return nullptr;
    };
    if (key == "run.name") return set_by_sweep("every run's run.name is the sweep's name ([sweep] name)");
    if (key == "run.output_dir")
      return set_by_sweep("results go to <run.output_dir>/<sweep name>/; set run.output_dir in the base config or "
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

  void read_axes(const toml::table& table, SweepSpec& spec) {
    const toml::node* axes = table.get("axes");
    if (axes == nullptr) return;
    if (!axes->is_table()) {
      report(line_of(*axes), with_hint(where(line_of(*axes)) + ": axes must be a section.",
                                       "write [axes] followed by lines key = [value, ...]"));
      return;
    }
    std::vector<Entry> leaves;
    flatten_axes(*axes->as_table(), "", leaves);
    // Nested tables ([axes.model]) come after their parent's keys in the file but sort by line.
    std::stable_sort(leaves.begin(), leaves.end(), [](const Entry& a, const Entry& b) {
      return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    for (const Entry& leaf : leaves) {
      const std::string& key = leaf.key;
      const toml::node* node = leaf.node;
      const int line = leaf.line;
      const config::KeySpec* key_spec = axis_spec(key, line);
      if (key_spec == nullptr) continue;
      const toml::array* values = node->as_array();
      const std::string example = key_spec->type == config::ValueType::kStringList ? "[[\"a\"], [\"a\", \"b\"]]"
                                  : key_spec->type == config::ValueType::kString   ? "[\"a\", \"b\"]"
                                                                                   : "[1, 2]";
      if (values == nullptr || values->empty()) {
        report(line, with_hint(where(line) + ": axes." + key + " = " + (values ? "[]" : render(*node)) +
                                   " is not a list of values.",
                               "an axis lists the values the runs take, e.g. " + key + " = " + example));
        continue;
      }
      Axis axis{key, {}, line};
      for (size_t i = 0; i < values->size(); ++i) {
        const toml::node& item = *values->get(i);
        const int item_line = line_of(item) > 0 ? line_of(item) : line;
        const std::string at = where(item_line) + ": axes." + key + "[" + std::to_string(i) + "] = ";
        std::optional<config::Value> value = convert(item, key_spec->type);
        if (!value) {
          report(item_line, with_hint(at + render(item) + " is not " +
                                          (key_spec->type == config::ValueType::kInt ? "an " : "a ") +
                                          std::string(config::type_name(key_spec->type)) + ".",
                                      "write the axis as " + key + " = " + example));
          continue;
        }
        if (!key_spec->satisfied_by(*value)) {
          report(item_line, with_hint(at + config::format_value(*value) + " violates " + key_spec->rule() + ".",
                                      key_spec->doc));
          continue;
        }
        axis.values.push_back(std::move(*value));
      }
      spec.axes.push_back(std::move(axis));
    }
  }

  void read_zip(const toml::table& table, SweepSpec& spec) {
    const toml::node* zip = table.get("zip");
    if (zip == nullptr) return;
    const std::string hint = "write [zip] followed by name = [\"axis.key\", \"other.key\"]";
    if (!zip->is_table()) {
      report(line_of(*zip), with_hint(where(line_of(*zip)) + ": zip must be a section.", hint));
      return;
    }
    std::set<std::string> zipped;
    for (const Entry& entry : in_file_order(*zip->as_table())) {
      const int line = entry.line;
      const std::string at = where(line) + ": zip." + entry.key;
      const auto keys = convert(*entry.node, config::ValueType::kStringList);
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
          report(line, with_hint(at + " zips axes of different lengths: " + first->key + " has " +
                                     std::to_string(first->values.size()) + " values (line " +
                                     std::to_string(first->line) + "), " + key + " has " +
                                     std::to_string(axis->values.size()) + " (line " + std::to_string(axis->line) +
                                     ").",
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

  // The skip_if rules, read from the TOML so that they are checked even when another setting is
  // wrong (the Document then has no values); a skip_if that is not a string list is reported by
  // the Document.
  void read_filter_rules(const toml::table& table, SweepSpec& spec) {
    const toml::node* node = table.at_path("filter.skip_if").node();
    const toml::array* rules = node ? node->as_array() : nullptr;
    if (rules == nullptr || !convert(*node, config::ValueType::kStringList)) return;
    std::map<std::string, FilterType> types = derived_filter_names();
    for (const config::KeySpec& key : run_schema_.keys()) {
      types[key.key] = key.type == config::ValueType::kBool                                          ? FilterType::kBool
                       : key.type == config::ValueType::kInt || key.type == config::ValueType::kFloat ? FilterType::kNumber
                                                                                                      : FilterType::kString;
    }
    for (size_t i = 0; i < rules->size(); ++i) {
      const toml::node& rule = *rules->get(i);
      const int line = line_of(rule) > 0 ? line_of(rule) : line_of(*node);
      try {
        spec.filter.skip_if.push_back(FilterRule::parse(rule.as_string()->get(),
                                                        where(line) + ": filter.skip_if[" + std::to_string(i) + "]", types));
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
  std::vector<Problem> problems_;
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
        .add_string("sweep.base", std::nullopt, "the run config every run starts from, e.g. experiments/runs/quickstart.toml")
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
                    "array job script template (slurm/array.sbatch.in's placeholders); empty: the built-in one");
    return s;
  }();
  return schema;
}

SweepSpec load_sweep_spec(const std::string& path, const config::Schema& run_schema) {
  return SpecReader(path, run_schema).read();
}

}  // namespace clipscale::sweep
