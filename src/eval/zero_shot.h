// Zero-shot classification as OpenCLIP evaluates it: for every class, the text features of all
// prompt templates are L2-normalised, averaged and re-normalised into one classifier column;
// an image is assigned the class of highest cosine similarity. Top-1 and top-5 accuracy.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace clipscale::model {
class ClipModelImpl;
enum class Precision;
}  // namespace clipscale::model
namespace clipscale::text {
class BpeTokenizer;
}
namespace clipscale::data {
struct ZeroShotTask;
}

namespace clipscale::eval {

struct ZeroShotResult {
  double top1 = 0;  ///< fraction in [0, 1]
  double top5 = 0;  ///< fraction in [0, 1]; equals 1 when there are at most 5 classes
};

/// Builds the classifier from per-template text features.
///   text_features: [C, T, D] L2-normalised features of C classes × T templates.
/// Returns [D, C]: the template mean of each class, re-normalised.
at::Tensor build_zero_shot_classifier(const at::Tensor& text_features);

/// Scores images against a classifier.
///   image_features: [N, D] L2-normalised; classifier: [D, C]; labels: [N] int64.
ZeroShotResult zero_shot_accuracy(const at::Tensor& image_features, const at::Tensor& classifier,
                                  const at::Tensor& labels);

/// Runs the model over a task (no gradient, in batches of `batch_size`, under `precision`).
ZeroShotResult evaluate_zero_shot(model::ClipModelImpl& model, const text::BpeTokenizer& tokenizer,
                                  const data::ZeroShotTask& task, model::Precision precision, int64_t batch_size = 256);

}  // namespace clipscale::eval
