#include "spec/run_config.h"

#include <algorithm>
#include <type_traits>

#include "core/error.h"
#include "spec/eval_task_spec.h"
#include "spec/model_config.h"
#include "spec/source_spec.h"

namespace clipscale::spec {
namespace {

template <class T>
constexpr config::ValueType value_type() {
  if constexpr (std::is_same_v<T, bool>) {
    return config::ValueType::kBool;
  } else if constexpr (std::is_same_v<T, int64_t>) {
    return config::ValueType::kInt;
  } else if constexpr (std::is_same_v<T, double>) {
    return config::ValueType::kFloat;
  } else if constexpr (std::is_same_v<T, std::string>) {
    return config::ValueType::kString;
  } else {
    static_assert(std::is_same_v<T, std::vector<std::string>>, "a run-config field has a config value type");
    return config::ValueType::kStringList;
  }
}

// Declares every field of a default RunConfig as a schema key; the field's value is its default.
struct SchemaBuilder {
  config::Schema& schema;

  template <class T>
  void operator()(const char* key, const T& field, const char* doc, const KeyRule& rule = {}) const {
    config::KeySpec spec;
    spec.key = key;
    spec.type = value_type<T>();
    if (!rule.required) spec.default_value = config::Value{field};
    spec.doc = doc;
    spec.min = rule.min;
    spec.max = rule.max;
    spec.min_exclusive = rule.min_exclusive;
    spec.one_of = rule.one_of;
    schema.add(std::move(spec));
  }
};

// Reads every field from a resolved document.
struct Binder {
  const config::Document& doc;

  template <class T>
  void operator()(const char* key, T& field, const char*, const KeyRule& = {}) const {
    field = std::get<T>(doc.value(key));
  }
};

}  // namespace

const config::Schema& run_config_schema() {
  static const config::Schema schema = [] {
    config::Schema s;
    const RunConfig defaults;
    RunConfig::for_each_key(defaults, SchemaBuilder{s});
    return s;
  }();
  return schema;
}

RunConfig bind_run_config(const config::Document& document) {
  CLIPSCALE_CHECK(&document.schema() == &run_config_schema() || document.schema().find("model.config") != nullptr)
      << "bind_run_config needs a document of the run-config schema";
  RunConfig config;
  RunConfig::for_each_key(config, Binder{document});
  return config;
}

config::Document load_run_config(const std::string& path, const std::vector<std::string>& overrides) {
  config::Document doc = config::Document::load(run_config_schema(), path, overrides);
  std::vector<std::string> problems;
  if (doc.get_int("data.data_size") > doc.get_int("data.pool_size"))
    problems.push_back(doc.violation(
        "data.data_size", "data_size <= data.pool_size (" + std::to_string(doc.get_int("data.pool_size")) + ")",
        "lower data.data_size or raise data.pool_size"));
  // The model JSON is part of the config: a bad file is reported against model.config.
  try {
    ClipConfig::from_file(doc.get_string("model.config"));
  } catch (const core::UserError& e) {
    problems.push_back(doc.violation("model.config", std::string("a readable OpenCLIP model config (") + e.what() + ")",
                                     "see experiments/models/ for the built-in family"));
  }
  if (const auto problem = check_source_spec(doc.get_string("data.source")))
    problems.push_back(doc.violation("data.source", problem->rule, problem->hint));
  const auto& tasks = doc.get_string_list("eval.tasks");
  for (const auto& task : tasks)
    if (const auto problem = check_eval_task(task))
      problems.push_back(doc.violation("eval.tasks", problem->rule, problem->hint));
  for (auto it = tasks.begin(); it != tasks.end(); ++it)
    if (std::find(tasks.begin(), it, *it) != it)
      problems.push_back(doc.violation("eval.tasks", "each task at most once (\"" + *it + "\" is listed twice)",
                                       "remove the repeated task"));
  const int64_t batch = doc.get_int("train.global_batch_size");
  if (doc.get_int("train.samples_seen") < batch)
    problems.push_back(doc.violation("train.samples_seen",
                                     "samples_seen >= train.global_batch_size (" + std::to_string(batch) + ")",
                                     "train at least one full batch"));
  if (!problems.empty()) {
    std::string message;
    for (const auto& p : problems) message += (message.empty() ? "" : "\n") + p;
    throw core::UserError(message);
  }
  return doc;
}

}  // namespace clipscale::spec
