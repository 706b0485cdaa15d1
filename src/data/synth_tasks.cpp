#include "data/synth_tasks.h"

#include <torch/torch.h>

#include <map>

#include "core/error.h"
#include "data/image_tensor.h"

namespace clipscale::data {
namespace {

// Separate sub-ranges of the evaluation ids per task.
constexpr uint64_t kShapeTaskBase = kEvalIdBase;
constexpr uint64_t kColorTaskBase = kEvalIdBase + (uint64_t{1} << 40);
constexpr uint64_t kRetrievalTaskBase = kEvalIdBase + (uint64_t{2} << 40);

ZeroShotTask make_task(const SynthShapes& synth, int64_t count, bool by_shape) {
  CLIPSCALE_CHECK_GT(count, 0);
  ZeroShotTask task;
  task.name = by_shape ? "zeroshot_shape" : "zeroshot_color";
  task.class_names = by_shape ? SynthShapes::shape_names() : SynthShapes::color_names();
  // Prompts phrased like the pool's captions (as OpenCLIP's ImageNet templates are phrased like web
  // alt-text). The other attribute is marginalised by the template ensemble: a shape prompt is
  // averaged over every colour, a colour prompt over every shape.
  if (by_shape) {
    task.templates = {"a {}", "a photo of a {}"};
    for (const auto& color : SynthShapes::color_names()) task.templates.push_back(color + " {}");
  } else {
    for (const auto& shape : SynthShapes::shape_names()) task.templates.push_back("{} " + shape);
  }
  const int64_t classes = static_cast<int64_t>(task.class_names.size());
  std::vector<std::vector<uint8_t>> pixels;
  std::vector<int64_t> labels;
  const uint64_t base = by_shape ? kShapeTaskBase : kColorTaskBase;
  for (int64_t i = 0; i < count; ++i) {
    const int label = static_cast<int>(i % classes);
    const uint64_t id = base + static_cast<uint64_t>(i);
    const Scene scene = synth.draw_scene(id, by_shape ? label : -1, by_shape ? -1 : label);
    pixels.push_back(synth.render(scene, id));
    labels.push_back(label);
  }
  std::vector<const std::vector<uint8_t>*> views;
  for (const auto& p : pixels) views.push_back(&p);
  task.images = images_to_tensor(views, synth.options().image_size);
  task.labels = torch::tensor(labels, torch::kInt64);
  return task;
}

}  // namespace

ZeroShotTask make_shape_task(const SynthShapes& synth, int64_t count) { return make_task(synth, count, true); }
ZeroShotTask make_color_task(const SynthShapes& synth, int64_t count) { return make_task(synth, count, false); }

RetrievalTask make_retrieval_task(const SynthShapes& synth, int64_t count) {
  CLIPSCALE_CHECK_GT(count, 0);
  RetrievalTask task;
  task.name = "retrieval";
  std::vector<std::vector<uint8_t>> pixels;
  std::vector<int64_t> groups;
  std::map<std::string, int64_t> group_of;
  for (int64_t i = 0; i < count; ++i) {
    const uint64_t id = kRetrievalTaskBase + static_cast<uint64_t>(i);
    const Scene scene = synth.draw_scene(id, -1, -1);
    pixels.push_back(synth.render(scene, id));
    task.captions.push_back(synth.caption(scene, id));
    auto [it, inserted] = group_of.emplace(task.captions.back(), static_cast<int64_t>(group_of.size()));
    groups.push_back(it->second);
  }
  std::vector<const std::vector<uint8_t>*> views;
  for (const auto& p : pixels) views.push_back(&p);
  task.images = images_to_tensor(views, synth.options().image_size);
  task.groups = torch::tensor(groups, torch::kInt64);
  return task;
}

ZeroShotTask make_zero_shot_task(const SynthShapes& synth, const std::string& name, int64_t count) {
  if (name == "zeroshot_shape") return make_shape_task(synth, count);
  if (name == "zeroshot_color") return make_color_task(synth, count);
  throw core::UserError("eval task \"" + name +
                        "\" is not a zero-shot task of synth:shapes. HINT: use zeroshot_shape or zeroshot_color.");
}

}  // namespace clipscale::data
