#include "train/grad_cache.h"

#include <torch/torch.h>

#include <mutex>

#include "core/error.h"
#include "model/clip_model.h"

namespace clipscale::train {

namespace {

/// The CPU generator's state (every random op of the towers draws from it on CPU).
at::Tensor rng_state(at::Generator& generator) {
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get_state();
}

void set_rng_state(at::Generator& generator, const at::Tensor& state) {
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(state);
}

}  // namespace

double forward_backward(model::ClipModelImpl& model, const at::Tensor& images, const at::Tensor& tokens,
                        dist::Communicator& comm, const LossOptions& loss, model::Precision precision,
                        int64_t chunk_size) {
  const EmbedFn embed = [&model](const at::Tensor& i, const at::Tensor& t) { return model.forward(i, t); };
  return forward_backward(embed, model.logit_scale, model.logit_bias, images, tokens, comm, loss, precision,
                          chunk_size);
}

double forward_backward(const EmbedFn& embed, const at::Tensor& logit_scale, const at::Tensor& logit_bias,
                        const at::Tensor& images, const at::Tensor& tokens, dist::Communicator& comm,
                        const LossOptions& loss, model::Precision precision, int64_t chunk_size) {
  const auto loss_of = [&](const at::Tensor& image, const at::Tensor& text) {
    return distributed_loss(comm, loss, image, text, logit_scale.exp(), logit_bias);
  };
  const int64_t batch = images.size(0);
  CLIPSCALE_CHECK_EQ(batch, tokens.size(0));
  CLIPSCALE_CHECK_GE(chunk_size, 0);
  if (chunk_size == 0 || chunk_size >= batch) {
    at::Tensor image, text;
    {
      model::AutocastGuard autocast(precision);
      std::tie(image, text) = embed(images, tokens);
    }
    // Outside autocast: the logits and the loss are fp32 whatever the towers ran in.
    at::Tensor value = loss_of(image, text);
    value.backward();
    return value.item<double>();
  }

  // 1. Embeddings of every chunk, without a graph.
  at::Generator generator = at::detail::getDefaultCPUGenerator();
  std::vector<at::Tensor> states, image_parts, text_parts;
  {
    torch::NoGradGuard no_grad;
    model::AutocastGuard autocast(precision);
    for (int64_t start = 0; start < batch; start += chunk_size) {
      const int64_t rows = std::min(chunk_size, batch - start);
      states.push_back(rng_state(generator));
      auto [image, text] = embed(images.narrow(0, start, rows), tokens.narrow(0, start, rows));
      image_parts.push_back(image);
      text_parts.push_back(text);
    }
  }
  // Step 3 replays each chunk's RNG state; the state after the whole embedding pass is restored at
  // the end, so the step leaves the generator where an uncached step would.
  const at::Tensor after_embedding = rng_state(generator);

  // 2. The loss once; cache d loss / d embedding (the logit scale and bias get their gradient).
  // The embeddings become leaves: backward of the loss stops at them (their .grad is the cached
  // d loss / d embedding) and never reaches the towers, whose graphs were not built.
  at::Tensor image = torch::cat(image_parts).requires_grad_(true);
  at::Tensor text = torch::cat(text_parts).requires_grad_(true);
  image_parts.clear();
  text_parts.clear();
  at::Tensor value = loss_of(image, text);
  value.backward();
  const at::Tensor image_grad = image.grad();
  const at::Tensor text_grad = text.grad();

  // 3. Each chunk again with a graph, from the same RNG state, back-propagating its cached slice.
  for (size_t k = 0; k < states.size(); ++k) {
    const int64_t start = static_cast<int64_t>(k) * chunk_size;
    const int64_t rows = std::min(chunk_size, batch - start);
    set_rng_state(generator, states[k]);
    at::Tensor chunk_image, chunk_text;
    {
      model::AutocastGuard autocast(precision);
      std::tie(chunk_image, chunk_text) = embed(images.narrow(0, start, rows), tokens.narrow(0, start, rows));
    }
    torch::autograd::backward({chunk_image, chunk_text},
                              {image_grad.narrow(0, start, rows), text_grad.narrow(0, start, rows)});
  }
  set_rng_state(generator, after_embedding);
  return value.item<double>();
}

}  // namespace clipscale::train
