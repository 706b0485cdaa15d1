#include "eval/embedding.h"

#include <torch/torch.h>

#include <functional>

#include "core/error.h"
#include "data/loader.h"
#include "model/autocast.h"
#include "model/clip_model.h"

namespace clipscale::eval {
namespace {

/// Concatenates encode(rows [begin, end)) over batches of `inputs`, normalised, without gradient.
at::Tensor embed_batched(const at::Tensor& inputs, model::Precision precision, int64_t batch_size,
                         const std::function<at::Tensor(const at::Tensor&)>& encode) {
  CLIPSCALE_CHECK_GT(batch_size, 0);
  torch::NoGradGuard no_grad;
  model::AutocastGuard autocast(precision);
  std::vector<at::Tensor> parts;
  for (int64_t begin = 0; begin < inputs.size(0); begin += batch_size) {
    const int64_t end = std::min(begin + batch_size, inputs.size(0));
    parts.push_back(model::normalize_features(encode(inputs.slice(0, begin, end))));
  }
  return torch::cat(parts, 0);
}

}  // namespace

at::Tensor embed_images(model::ClipModelImpl& model, const at::Tensor& images, model::Precision precision,
                        int64_t batch_size) {
  return embed_batched(images, precision, batch_size, [&](const at::Tensor& x) { return model.encode_image(x); });
}

at::Tensor embed_tokens(model::ClipModelImpl& model, const at::Tensor& tokens, model::Precision precision,
                        int64_t batch_size) {
  return embed_batched(tokens, precision, batch_size, [&](const at::Tensor& x) { return model.encode_text(x); });
}

at::Tensor embed_texts(model::ClipModelImpl& model, const text::BpeTokenizer& tokenizer,
                       const std::vector<std::string>& captions, model::Precision precision, int64_t batch_size) {
  return embed_tokens(model, data::tokenize_batch(tokenizer, captions, model.config().text.context_length), precision,
                      batch_size);
}

}  // namespace clipscale::eval
