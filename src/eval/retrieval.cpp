#include "eval/retrieval.h"

#include <torch/torch.h>

#include <array>
#include <limits>

#include "core/error.h"
#include "data/synth_tasks.h"
#include "eval/embedding.h"
#include "eval/eval_mode.h"
#include "model/clip_model.h"

namespace clipscale::eval {
namespace {

/// Fraction of queries (rows of `scores`, [Q, K]) whose best-scoring positive has fewer than k
/// candidates scoring at least as high, for k in {1, 5, 10}.
std::array<double, 3> recall_at(const at::Tensor& scores, const at::Tensor& positive) {
  auto neg_inf = torch::full_like(scores, -std::numeric_limits<float>::infinity());
  auto best_positive = torch::where(positive, scores, neg_inf).amax(1, /*keepdim=*/true);  // [Q, 1]
  // Negatives at or above the best positive all rank before it.
  auto rank = (scores.ge(best_positive) & positive.logical_not()).sum(1);  // [Q]
  std::array<double, 3> out{};
  const std::array<int64_t, 3> ks = {1, 5, 10};
  for (size_t i = 0; i < ks.size(); ++i) out[i] = rank.lt(ks[i]).to(torch::kFloat64).mean().item<double>();
  return out;
}

}  // namespace

RetrievalResult retrieval_recall(const at::Tensor& image_features, const at::Tensor& text_features,
                                 const at::Tensor& groups) {
  CLIPSCALE_CHECK(image_features.dim() == 2 && image_features.sizes() == text_features.sizes())
      << "image and text features must both be [N, D]";
  CLIPSCALE_CHECK_EQ(groups.numel(), image_features.size(0));
  auto scores = torch::matmul(image_features.to(torch::kFloat32), text_features.to(torch::kFloat32).t());  // [N, N]
  auto positive = groups.view({-1, 1}).eq(groups.view({1, -1}));
  const auto i2t = recall_at(scores, positive);
  const auto t2i = recall_at(scores.t(), positive.t());
  RetrievalResult result;
  result.image_to_text_r1 = i2t[0];
  result.image_to_text_r5 = i2t[1];
  result.image_to_text_r10 = i2t[2];
  result.text_to_image_r1 = t2i[0];
  result.text_to_image_r5 = t2i[1];
  result.text_to_image_r10 = t2i[2];
  return result;
}

RetrievalResult evaluate_retrieval(model::ClipModelImpl& model, const text::BpeTokenizer& tokenizer,
                                   const data::RetrievalTask& task, model::Precision precision, int64_t batch_size) {
  const EvalModeGuard eval_mode(model);
  auto images = embed_images(model, task.images, precision, batch_size);
  auto texts = embed_texts(model, tokenizer, task.captions, precision, batch_size);
  return retrieval_recall(images, texts, task.groups);
}

}  // namespace clipscale::eval
