#include "eval/zero_shot.h"

#include <torch/torch.h>

#include "core/error.h"
#include "data/synth_tasks.h"
#include "eval/embedding.h"
#include "eval/eval_mode.h"
#include "model/clip_model.h"

namespace clipscale::eval {

at::Tensor build_zero_shot_classifier(const at::Tensor& text_features) {
  CLIPSCALE_CHECK_EQ(text_features.dim(), 3) << "text features must be [C, T, D]";
  auto mean = text_features.to(torch::kFloat32).mean(1);  // [C, D]
  mean = torch::nn::functional::normalize(mean, torch::nn::functional::NormalizeFuncOptions().dim(-1));
  return mean.t().contiguous();  // [D, C]
}

ZeroShotResult zero_shot_accuracy(const at::Tensor& image_features, const at::Tensor& classifier,
                                  const at::Tensor& labels) {
  CLIPSCALE_CHECK(image_features.dim() == 2 && classifier.dim() == 2 && image_features.size(1) == classifier.size(0))
      << "features [N, D] and classifier [D, C] disagree: " << image_features.sizes() << " vs " << classifier.sizes();
  CLIPSCALE_CHECK_EQ(labels.numel(), image_features.size(0));
  const int64_t n = image_features.size(0);
  const int64_t k = std::min<int64_t>(5, classifier.size(1));
  auto logits = 100.0 * torch::matmul(image_features.to(torch::kFloat32), classifier);  // [N, C]
  auto top = std::get<1>(logits.topk(k, 1));                                            // [N, k]
  auto correct = top.eq(labels.view({-1, 1}));
  ZeroShotResult result;
  result.top1 = correct.select(1, 0).sum().item<double>() / static_cast<double>(n);
  result.top5 = correct.any(1).sum().item<double>() / static_cast<double>(n);
  return result;
}

ZeroShotResult evaluate_zero_shot(model::ClipModelImpl& model, const text::BpeTokenizer& tokenizer,
                                  const data::ZeroShotTask& task, model::Precision precision, int64_t batch_size) {
  const EvalModeGuard eval_mode(model);
  std::vector<std::string> prompts;
  for (const auto& name : task.class_names) {
    for (const auto& pattern : task.templates) {
      std::string prompt = pattern;
      const auto at = prompt.find("{}");
      CLIPSCALE_CHECK(at != std::string::npos) << "template without {}: " << pattern;
      prompt.replace(at, 2, name);
      prompts.push_back(prompt);
    }
  }
  auto text =
      embed_texts(model, tokenizer, prompts, precision, batch_size)
          .view({static_cast<int64_t>(task.class_names.size()), static_cast<int64_t>(task.templates.size()), -1});
  auto classifier = build_zero_shot_classifier(text);
  auto images = embed_images(model, task.images, precision, batch_size);
  return zero_shot_accuracy(images, classifier, task.labels);
}

}  // namespace clipscale::eval
