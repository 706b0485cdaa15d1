// Image↔text retrieval. For each query, candidates are ranked by cosine similarity; a query is a
// hit at k if any of its positives is among the k best candidates (CLIP paper / CLIP_benchmark
// "recall > 0"). Positives are the candidates whose group equals the query's group, so captions
// that are word-for-word identical all count as correct. Ties are broken against the query: a
// negative scoring exactly as high as the best positive ranks above it.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
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
struct RetrievalTask;
}

namespace clipscale::eval {

struct RetrievalResult {
  double image_to_text_r1 = 0, image_to_text_r5 = 0, image_to_text_r10 = 0;
  double text_to_image_r1 = 0, text_to_image_r5 = 0, text_to_image_r10 = 0;
};

/// image_features, text_features: [N, D] L2-normalised (row i of each is pair i); groups: [N].
RetrievalResult retrieval_recall(const at::Tensor& image_features, const at::Tensor& text_features,
                                 const at::Tensor& groups);

/// Embeds the task with the model (no gradient) and scores it.
RetrievalResult evaluate_retrieval(model::ClipModelImpl& model, const text::BpeTokenizer& tokenizer,
                                   const data::RetrievalTask& task, model::Precision precision,
                                   int64_t batch_size = 256);

}  // namespace clipscale::eval
