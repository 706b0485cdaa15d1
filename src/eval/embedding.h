// Batched, gradient-free embedding of images and texts with a CLIP model: what evaluation and
// `clipscale embed` both run.
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

namespace clipscale::eval {

/// Image features of [N, 3, S, S] images in batches, L2-normalised fp32 [N, D], no gradient.
at::Tensor embed_images(model::ClipModelImpl& model, const at::Tensor& images, model::Precision precision,
                        int64_t batch_size);
/// Text features of token ids [N, context] in batches, L2-normalised fp32 [N, D], no gradient.
at::Tensor embed_tokens(model::ClipModelImpl& model, const at::Tensor& tokens, model::Precision precision,
                        int64_t batch_size);
/// Text features of captions (tokenised at the model's context length), as embed_tokens.
at::Tensor embed_texts(model::ClipModelImpl& model, const text::BpeTokenizer& tokenizer,
                       const std::vector<std::string>& captions, model::Precision precision, int64_t batch_size);

}  // namespace clipscale::eval
