#include "data/eval_tasks.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/env.h"
#include "core/error.h"
#include "core/hash.h"
#include "data/image_tensor.h"
#include "data/shard_source.h"
#include "data/synth_shapes.h"
#include "data/synth_tasks.h"
#include "spec/shard_pattern.h"
#include "spec/source_spec.h"

namespace clipscale::data {
namespace {

constexpr uint64_t kSelectionSeed = 0xe7a15e1ec7;

/// Label of a sample for a zero-shot task, per its label key.
std::string sample_label(const ShardSource& source, uint64_t index, const Example& example,
                         const spec::EvalTaskSpec& task_spec) {
  if (task_spec.label == "txt") return example.caption;
  const std::string field = task_spec.label.substr(5);
  const std::string text = source.metadata(index);
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains(field) || !json[field].is_string())
    throw BadSampleError(SkipReason::kBadCaption, source.location(index) + ": key.json has no string field \"" + field +
                                                      "\" (the task's label). HINT: check the task's label key.");
  return json[field].get<std::string>();
}

EvalTask load_shard_task(const spec::EvalTaskSpec& task_spec, const EvalTaskOptions& options) {
  ShardSourceOptions source_options;
  source_options.pattern = spec::shard_pattern_of(task_spec.source);
  source_options.shards = spec::expand_shard_pattern(source_options.pattern, task_spec.file + ": source");
  for (const auto& shard : source_options.shards)
    if (!std::filesystem::exists(shard))
      throw core::UserError(task_spec.file + ": source: shard " + shard + " of eval task " + task_spec.name +
                            " does not exist. HINT: make the task's data first (README, Real data), "
                            "e.g. with clipscale data iconify or clipscale data fashion-mnist.");
  source_options.image_size = options.image_size;
  const ShardSource source(source_options);

  std::vector<uint64_t> order;
  if (task_spec.max_samples > 0 && static_cast<uint64_t>(task_spec.max_samples) < source.size()) {
    const core::Permutation permutation(source.size(), kSelectionSeed);
    for (int64_t i = 0; i < task_spec.max_samples; ++i) order.push_back(permutation(static_cast<uint64_t>(i)));
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
      texts.push_back(task_spec.kind == spec::EvalTaskKind::kZeroShot ? sample_label(source, index, example, task_spec)
                                                                      : example.caption);
      pixels.push_back(std::move(example.pixels));
    } catch (const BadSampleError& e) {
      if (skipped.total() < 5) spdlog::warn("eval task {}: skipping a sample: {}", task_spec.name, e.what());
      skipped.add(e.reason());
    }
  }
  if (skipped.total() > 0)
    spdlog::warn("eval task {}: {} samples skipped ({})", task_spec.name, skipped.total(), skipped.summary());
  if (pixels.empty())
    throw core::UserError(task_spec.file + ": eval task " + task_spec.name + " has no usable sample in " +
                          task_spec.source + ". HINT: re-create its data.");
  std::vector<const std::vector<uint8_t>*> views;
  for (const auto& p : pixels) views.push_back(&p);

  EvalTask task;
  task.name = task_spec.name;
  task.kind = task_spec.kind;
  if (task_spec.kind == spec::EvalTaskKind::kRetrieval) {
    task.retrieval.name = task_spec.name;
    task.retrieval.images = images_to_tensor(views, options.image_size);
    task.retrieval.captions = texts;
    std::map<std::string, int64_t> group_of;
    std::vector<int64_t> groups;
    for (const auto& caption : texts)
      groups.push_back(group_of.emplace(caption, static_cast<int64_t>(group_of.size())).first->second);
    task.retrieval.groups = torch::tensor(groups, torch::kInt64);
    return task;
  }
  std::vector<std::string> classes = task_spec.classes;
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
      throw core::UserError(task_spec.file + ": classes does not contain \"" + label + "\", a label found in " +
                            task_spec.source +
                            ". HINT: add it to classes, or remove classes to use the labels found in the data.");
    labels.push_back(it->second);
  }
  task.zero_shot.name = task_spec.name;
  task.zero_shot.class_names = classes;
  task.zero_shot.templates = task_spec.templates;
  task.zero_shot.images = images_to_tensor(views, options.image_size);
  task.zero_shot.labels = torch::tensor(labels, torch::kInt64);
  return task;
}

}  // namespace

EvalTask load_eval_task(const std::string& name, const EvalTaskOptions& options) {
  const spec::EvalTaskSpec task_spec = spec::find_eval_task(name, options.tasks_dir);
  if (!task_spec.file.empty()) return load_shard_task(task_spec, options);
  SynthOptions synth_options;
  synth_options.image_size = options.image_size;
  synth_options.seed = options.synth_seed;
  synth_options.noise_fraction = 0.0;
  const SynthShapes synth(synth_options);
  EvalTask task;
  task.name = name;
  task.kind = task_spec.kind;
  if (task_spec.kind == spec::EvalTaskKind::kRetrieval) {
    task.retrieval = make_retrieval_task(synth, options.retrieval_size);
  } else {
    task.zero_shot = make_zero_shot_task(synth, name, options.zeroshot_size);
  }
  return task;
}

}  // namespace clipscale::data
