#include "data/eval_tasks.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <toml++/toml.h>

#include "core/env.h"
#include "core/error.h"
#include "core/hash.h"
#include "data/image_tensor.h"
#include "data/shard_pattern.h"
#include "data/shard_source.h"
#include "data/synth_shapes.h"

namespace clipscale::data {
namespace {

constexpr uint64_t kSelectionSeed = 0xe7a15e1ec7;
constexpr const char* kShardsScheme = "shards:";
const std::set<std::string> kKnownKeys = {"schema_version", "kind", "description", "source", "label",
                                          "classes", "templates", "max_samples"};

bool is_path(const std::string& name) {
  return name.find('/') != std::string::npos || (name.size() > 5 && name.compare(name.size() - 5, 5, ".toml") == 0);
}

/// Reports a bad value of a task file in STYLE.md's shape.
[[noreturn]] void bad_value(const std::string& file, const toml::node* node, const std::string& key,
                            const std::string& rule, const std::string& hint) {
  std::string where = file;
  if (node != nullptr && node->source().begin.line > 0) where += ":" + std::to_string(node->source().begin.line);
  throw core::UserError(where + ": " + key + " " + rule + ". HINT: " + hint + ".");
}

std::string required_string(const toml::table& table, const std::string& file, const std::string& key,
                            const std::string& hint) {
  const toml::node* node = table.get(key);
  if (node == nullptr) bad_value(file, nullptr, key, "is missing", hint);
  if (!node->is_string()) bad_value(file, node, key, "must be a string", hint);
  return node->value<std::string>().value();
}

std::vector<std::string> string_list(const toml::table& table, const std::string& file, const std::string& key) {
  std::vector<std::string> out;
  const toml::node* node = table.get(key);
  if (node == nullptr) return out;
  const toml::array* array = node->as_array();
  if (array == nullptr) bad_value(file, node, key, "must be an array of strings", "write " + key + " = [\"...\", ...]");
  for (const auto& element : *array) {
    if (!element.is_string()) bad_value(file, &element, key, "must hold only strings", "quote every entry");
    out.push_back(element.value<std::string>().value());
  }
  return out;
}

EvalTaskSpec parse_task_file(const std::string& name, const std::string& file) {
  toml::table table;
  try {
    table = toml::parse_file(file);
  } catch (const toml::parse_error& e) {
    throw core::UserError(file + ":" + std::to_string(e.source().begin.line) + ": not valid TOML (" +
                          std::string(e.description()) + "). HINT: see experiments/evals/ for examples.");
  }
  for (const auto& [key, node] : table)
    if (kKnownKeys.count(std::string(key.str())) == 0)
      bad_value(file, &node, std::string(key.str()), "is not a task-file key",
                "the keys are schema_version, kind, description, source, label, classes, templates, max_samples");
  EvalTaskSpec spec;
  spec.name = name;
  spec.file = file;
  const toml::node* version = table.get("schema_version");
  if (version == nullptr || version->value<int64_t>() != std::optional<int64_t>(kEvalTaskSchemaVersion))
    bad_value(file, version, "schema_version",
              "must be " + std::to_string(kEvalTaskSchemaVersion) + " (found " +
                  (version == nullptr ? std::string("none") : "another value") + ")",
              "this clipscale reads task files of schema_version 1");
  const std::string kind = required_string(table, file, "kind", "kind = \"zeroshot\" or \"retrieval\"");
  if (kind == "zeroshot") {
    spec.kind = EvalTaskKind::kZeroShot;
  } else if (kind == "retrieval") {
    spec.kind = EvalTaskKind::kRetrieval;
  } else {
    bad_value(file, table.get("kind"), "kind = \"" + kind + "\"", "violates kind in {zeroshot, retrieval}",
              "use kind = \"zeroshot\" or kind = \"retrieval\"");
  }
  spec.source = required_string(table, file, "source", "source = \"shards:dir/{00000..00003}.tar\"");
  if (spec.source.rfind(kShardsScheme, 0) != 0)
    bad_value(file, table.get("source"), "source = \"" + spec.source + "\"", "violates source = \"shards:PATTERN\"",
              "task files name tar shards; the built-in tasks need no file");
  spec.description = table["description"].value_or(std::string());
  spec.label = table["label"].value_or(std::string("json:label"));
  if (spec.label != "txt" && spec.label.rfind("json:", 0) != 0)
    bad_value(file, table.get("label"), "label = \"" + spec.label + "\"", "violates label = \"txt\" or \"json:<field>\"",
              "e.g. label = \"json:label\"");
  spec.classes = string_list(table, file, "classes");
  spec.templates = string_list(table, file, "templates");
  if (spec.kind == EvalTaskKind::kZeroShot) {
    if (spec.templates.empty())
      bad_value(file, table.get("templates"), "templates", "must list at least one prompt for a zero-shot task",
                "e.g. templates = [\"a photo of a {}.\"]");
    for (const auto& t : spec.templates)
      if (t.find("{}") == std::string::npos)
        bad_value(file, table.get("templates"), "templates entry \"" + t + "\"", "violates: contains {}",
                  "{} marks where the class name goes");
  }
  const toml::node* max_samples = table.get("max_samples");
  if (max_samples != nullptr) {
    const auto value = max_samples->value<int64_t>();
    if (!value || *value < 0) bad_value(file, max_samples, "max_samples", "must be an integer >= 0", "0 uses every sample");
    spec.max_samples = *value;
  }
  return spec;
}

std::vector<std::string> builtin_names() { return synth_task_names(); }

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

/// Label of a sample for a zero-shot task, per spec.label.
std::string sample_label(const ShardSource& source, uint64_t index, const Example& example, const EvalTaskSpec& spec) {
  if (spec.label == "txt") return example.caption;
  const std::string field = spec.label.substr(5);
  const std::string text = source.metadata(index);
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains(field) || !json[field].is_string())
    throw BadSampleError(SkipReason::kBadCaption, source.location(index) + ": key.json has no string field \"" + field +
                                                       "\" (the task's label). HINT: check the task's label key.");
  return json[field].get<std::string>();
}

EvalTask load_shard_task(const EvalTaskSpec& spec, const EvalTaskOptions& options) {
  ShardSourceOptions source_options;
  source_options.pattern = spec.source.substr(std::string(kShardsScheme).size());
  source_options.shards = expand_shard_pattern(source_options.pattern, spec.file + ": source");
  for (const auto& shard : source_options.shards)
    if (!std::filesystem::exists(shard))
      throw core::UserError(spec.file + ": source: shard " + shard + " of eval task " + spec.name +
                            " does not exist. HINT: make the task's data first (README, Real data), "
                            "e.g. with clipscale data iconify or clipscale data fashion-mnist.");
  source_options.image_size = options.image_size;
  const ShardSource source(source_options);

  std::vector<uint64_t> order;
  if (spec.max_samples > 0 && static_cast<uint64_t>(spec.max_samples) < source.size()) {
    const core::Permutation permutation(source.size(), kSelectionSeed);
    for (int64_t i = 0; i < spec.max_samples; ++i) order.push_back(permutation(static_cast<uint64_t>(i)));
    std::sort(order.begin(), order.end());
  } else {
    for (uint64_t i = 0; i < source.size(); ++i) order.push_back(i);
  }

  std::vector<std::vector<uint8_t>> pixels;
  std::vector<std::string> texts;  // labels (zero-shot) or captions (retrieval)
  SkipCounts skipped;
  for (uint64_t index : order) {
    try {
      Example example = source.get(index);
      texts.push_back(spec.kind == EvalTaskKind::kZeroShot ? sample_label(source, index, example, spec) : example.caption);
      pixels.push_back(std::move(example.pixels));
    } catch (const BadSampleError& e) {
      if (skipped.total() < 5) spdlog::warn("eval task {}: skipping a sample: {}", spec.name, e.what());
      skipped.add(e.reason());
    }
  }
  if (skipped.total() > 0) spdlog::warn("eval task {}: {} samples skipped ({})", spec.name, skipped.total(), skipped.summary());
  if (pixels.empty())
    throw core::UserError(spec.file + ": eval task " + spec.name + " has no usable sample in " + spec.source +
                          ". HINT: re-create its data.");
  std::vector<const std::vector<uint8_t>*> views;
  for (const auto& p : pixels) views.push_back(&p);

  EvalTask task;
  task.name = spec.name;
  task.kind = spec.kind;
  if (spec.kind == EvalTaskKind::kRetrieval) {
    task.retrieval.name = spec.name;
    task.retrieval.images = images_to_tensor(views, options.image_size);
    task.retrieval.captions = texts;
    std::map<std::string, int64_t> group_of;
    std::vector<int64_t> groups;
    for (const auto& caption : texts)
      groups.push_back(group_of.emplace(caption, static_cast<int64_t>(group_of.size())).first->second);
    task.retrieval.groups = torch::tensor(groups, torch::kInt64);
    return task;
  }
  std::vector<std::string> classes = spec.classes;
  if (classes.empty()) {
    const std::set<std::string> distinct(texts.begin(), texts.end());
    classes.assign(distinct.begin(), distinct.end());
  }
  std::map<std::string, int64_t> class_index;
  for (size_t c = 0; c < classes.size(); ++c) class_index.emplace(classes[c], static_cast<int64_t>(c));
  std::vector<int64_t> labels;
  for (const auto& label : texts) {
    const auto it = class_index.find(label);
    if (it == class_index.end())
      throw core::UserError(spec.file + ": classes does not contain \"" + label + "\", a label found in " + spec.source +
                            ". HINT: add it to classes, or remove classes to use the labels found in the data.");
    labels.push_back(it->second);
  }
  task.zero_shot.name = spec.name;
  task.zero_shot.class_names = classes;
  task.zero_shot.templates = spec.templates;
  task.zero_shot.images = images_to_tensor(views, options.image_size);
  task.zero_shot.labels = torch::tensor(labels, torch::kInt64);
  return task;
}

}  // namespace

std::string eval_tasks_dir(const std::string& tasks_dir) {
  if (!tasks_dir.empty()) return tasks_dir;
  if (auto env = core::env_string("CLIPSCALE_EVAL_DIR")) return *env;
  return kDefaultEvalTasksDir;
}

std::vector<std::string> known_eval_tasks(const std::string& tasks_dir) {
  std::set<std::string> names;
  for (const auto& n : builtin_names()) names.insert(n);
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(eval_tasks_dir(tasks_dir), ec))
    if (entry.path().extension() == ".toml") names.insert(entry.path().stem().string());
  return {names.begin(), names.end()};
}

EvalTaskSpec find_eval_task(const std::string& name, const std::string& tasks_dir) {
  const auto builtins = builtin_names();
  if (std::find(builtins.begin(), builtins.end(), name) != builtins.end()) {
    EvalTaskSpec spec;
    spec.name = name;
    spec.kind = name == "retrieval" ? EvalTaskKind::kRetrieval : EvalTaskKind::kZeroShot;
    spec.source = "synth:shapes";
    return spec;
  }
  std::string file, task_name = name;
  if (is_path(name)) {
    file = name;
    task_name = std::filesystem::path(name).stem().string();
  } else {
    file = (std::filesystem::path(eval_tasks_dir(tasks_dir)) / (name + ".toml")).string();
  }
  if (task_name.empty() || task_name.find_first_of("/.") != std::string::npos)
    throw core::UserError("eval task \"" + name + "\": the name \"" + task_name +
                          "\" may not be empty or contain '/' or '.'. HINT: name the file <task>.toml.");
  if (!std::filesystem::is_regular_file(file))
    throw core::UserError("eval task \"" + name + "\" is neither built in nor a task file (" + file +
                          " does not exist). HINT: known tasks: " + join(known_eval_tasks(tasks_dir)) +
                          "; task files live in " + eval_tasks_dir(tasks_dir) + " (or $CLIPSCALE_EVAL_DIR).");
  return parse_task_file(task_name, file);
}

std::optional<SpecProblem> check_eval_task(const std::string& name, const std::string& tasks_dir) {
  try {
    find_eval_task(name, tasks_dir);
  } catch (const core::UserError& e) {
    return SpecProblem::from_error(e.what(), "a known evaluation task");
  }
  return std::nullopt;
}

std::string eval_task_toml(const EvalTaskSpec& spec, const std::string& comment) {
  // JSON string and array syntax is valid TOML.
  const auto list = [](const std::vector<std::string>& items) { return nlohmann::json(items).dump(); };
  std::string out;
  size_t start = 0;
  while (start < comment.size()) {
    const size_t end = comment.find('\n', start);
    out += "# " + comment.substr(start, end == std::string::npos ? std::string::npos : end - start) + "\n";
    if (end == std::string::npos) break;
    start = end + 1;
  }
  const bool zero_shot = spec.kind == EvalTaskKind::kZeroShot;
  out += "schema_version = " + std::to_string(kEvalTaskSchemaVersion) + "\n";
  out += std::string("kind = ") + (zero_shot ? "\"zeroshot\"" : "\"retrieval\"") + "\n";
  if (!spec.description.empty()) out += "description = " + nlohmann::json(spec.description).dump() + "\n";
  out += "source = " + nlohmann::json(spec.source).dump() + "\n";
  if (zero_shot) {
    out += "label = " + nlohmann::json(spec.label).dump() + "\n";
    if (!spec.classes.empty()) out += "classes = " + list(spec.classes) + "\n";
    out += "templates = " + list(spec.templates) + "\n";
  }
  if (spec.max_samples > 0) out += "max_samples = " + std::to_string(spec.max_samples) + "\n";
  return out;
}

EvalTask load_eval_task(const std::string& name, const EvalTaskOptions& options) {
  const EvalTaskSpec spec = find_eval_task(name, options.tasks_dir);
  if (!spec.file.empty()) return load_shard_task(spec, options);
  SynthOptions synth_options;
  synth_options.image_size = options.image_size;
  synth_options.seed = options.synth_seed;
  synth_options.noise_fraction = 0.0;
  const SynthShapes synth(synth_options);
  EvalTask task;
  task.name = name;
  task.kind = spec.kind;
  if (spec.kind == EvalTaskKind::kRetrieval) {
    task.retrieval = make_retrieval_task(synth, options.retrieval_size);
  } else {
    task.zero_shot = make_zero_shot_task(synth, name, options.zeroshot_size);
  }
  return task;
}

}  // namespace clipscale::data
