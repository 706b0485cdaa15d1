#include "spec/eval_task_spec.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "config/document.h"
#include "core/env.h"
#include "core/error.h"

namespace clipscale::spec {
namespace {

bool is_path(const std::string& name) {
  return name.find('/') != std::string::npos || (name.size() > 5 && name.compare(name.size() - 5, 5, ".toml") == 0);
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// The rules that involve more than one key, or a key's text beyond its schema rule.
std::vector<std::string> cross_key_problems(const config::Document& doc) {
  std::vector<std::string> problems;
  if (doc.get_int("schema_version") != kEvalTaskSchemaVersion)
    problems.push_back(doc.violation("schema_version", "schema_version == " + std::to_string(kEvalTaskSchemaVersion),
                                     "this clipscale reads task files of schema_version 1"));
  if (!is_shards_source(doc.get_string("source")))
    problems.push_back(doc.violation("source", "source = \"shards:PATTERN\"",
                                     "task files name tar shards; the built-in tasks need no file"));
  const std::string& label = doc.get_string("label");
  if (label != "txt" && label.rfind("json:", 0) != 0)
    problems.push_back(doc.violation("label", "label = \"txt\" or \"json:<field>\"", "e.g. label = \"json:label\""));
  if (doc.get_string("kind") == "zeroshot") {
    const auto& templates = doc.get_string_list("templates");
    if (templates.empty())
      problems.push_back(doc.violation("templates", "at least one prompt for a zero-shot task",
                                       "e.g. templates = [\"a photo of a {}.\"]"));
    for (const auto& t : templates)
      if (t.find("{}") == std::string::npos) {
        problems.push_back(doc.violation("templates", "each template contains {} (\"" + t + "\" does not)",
                                         "{} marks where the class name goes"));
        break;
      }
  }
  return problems;
}

EvalTaskSpec parse_task_file(const std::string& name, const std::string& file) {
  const config::Document doc = config::Document::load(eval_task_file_schema(), file);
  const std::vector<std::string> problems = cross_key_problems(doc);
  if (!problems.empty()) {
    std::string message;
    for (const auto& p : problems) message += (message.empty() ? "" : "\n") + p;
    throw core::UserError(message);
  }
  EvalTaskSpec spec;
  spec.name = name;
  spec.file = file;
  spec.kind = doc.get_string("kind") == "zeroshot" ? EvalTaskKind::kZeroShot : EvalTaskKind::kRetrieval;
  spec.source = doc.get_string("source");
  spec.description = doc.get_string("description");
  spec.label = doc.get_string("label");
  spec.classes = doc.get_string_list("classes");
  spec.templates = doc.get_string_list("templates");
  spec.max_samples = doc.get_int("max_samples");
  return spec;
}

}  // namespace

const std::vector<std::string>& builtin_eval_task_names() {
  static const std::vector<std::string> kNames = {"zeroshot_shape", "zeroshot_color", "retrieval"};
  return kNames;
}

const config::Schema& eval_task_file_schema() {
  static const config::Schema schema = [] {
    config::Schema s;
    s.add_int("schema_version", std::nullopt, "this clipscale reads task files of schema_version 1", 1.0)
        .add_string("kind", std::nullopt, "kind = \"zeroshot\" or \"retrieval\"", {"zeroshot", "retrieval"})
        .add_string("description", "", "one line saying what the task measures")
        .add_string("source", std::nullopt, "source = \"shards:dir/{00000..00003}.tar\"")
        .add_string("label", "json:label",
                    "where a sample's class name is: \"json:<field>\" of key.json, or \"txt\" (the caption)")
        .add_string_list("classes", std::vector<std::string>{},
                         "class names in label order; empty: the sorted distinct labels found in the data")
        .add_string_list("templates", std::vector<std::string>{}, "prompts, {} is the class name")
        .add_int("max_samples", 0, "0 uses every sample, else a fixed seeded choice of that many", 0.0);
    return s;
  }();
  return schema;
}

std::string eval_tasks_dir(const std::string& tasks_dir) {
  if (!tasks_dir.empty()) return tasks_dir;
  if (auto env = core::env_string("CLIPSCALE_EVAL_DIR")) return *env;
  return kDefaultEvalTasksDir;
}

std::vector<std::string> known_eval_tasks(const std::string& tasks_dir) {
  std::set<std::string> names(builtin_eval_task_names().begin(), builtin_eval_task_names().end());
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(eval_tasks_dir(tasks_dir), ec))
    if (entry.path().extension() == ".toml") names.insert(entry.path().stem().string());
  return {names.begin(), names.end()};
}

EvalTaskSpec find_eval_task(const std::string& name, const std::string& tasks_dir) {
  const auto& builtins = builtin_eval_task_names();
  if (std::find(builtins.begin(), builtins.end(), name) != builtins.end()) {
    EvalTaskSpec spec;
    spec.name = name;
    spec.kind = name == "retrieval" ? EvalTaskKind::kRetrieval : EvalTaskKind::kZeroShot;
    spec.source = kSynthShapesSource;
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
  if (!spec.description.empty()) out += "description = " + config::format_string(spec.description) + "\n";
  out += "source = " + config::format_string(spec.source) + "\n";
  if (zero_shot) {
    out += "label = " + config::format_string(spec.label) + "\n";
    if (!spec.classes.empty()) out += "classes = " + config::format_value(config::Value{spec.classes}) + "\n";
    out += "templates = " + config::format_value(config::Value{spec.templates}) + "\n";
  }
  if (spec.max_samples > 0) out += "max_samples = " + std::to_string(spec.max_samples) + "\n";
  return out;
}

}  // namespace clipscale::spec
