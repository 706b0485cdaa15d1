// A tiny CLIP and random batches for gradient-level tests (train, dist): small enough that a
// forward and backward take milliseconds, big enough that every parameter gets a gradient.
#pragma once

#include <torch/torch.h>

#include <cmath>
#include <map>
#include <string>

#include "model/clip_model.h"
#include "spec/model_config.h"

namespace clipscale::testing {

/// Two-layer towers of width 32 on 16-px images (patch 8) and 8-token texts. With `siglip` the
/// model has a logit bias (SigLIP's initialisation).
inline spec::ClipConfig tiny_clip_config(bool siglip = false) {
  spec::ClipConfig config;
  config.name = "test-tiny";
  config.embed_dim = 16;
  config.vision = {16, 8, 32, 2, 16, 2.0};
  config.text = {8, 64, 32, 2, 2, 2.0};
  if (siglip) {
    config.init_logit_scale = std::log(10.0);
    config.init_logit_bias = -10.0;
  }
  return config;
}

struct RandomBatch {
  at::Tensor images;  ///< [n, 3, S, S]
  at::Tensor tokens;  ///< [n, ctx]: random ids, EOT (the highest id) at a random position, 0 after
};

/// The same batch for the same seed, whatever the global generator's state.
inline RandomBatch random_batch(const spec::ClipConfig& config, int64_t n, uint64_t seed) {
  auto generator = at::detail::createCPUGenerator(seed);
  const int64_t size = config.vision.image_size, ctx = config.text.context_length, vocab = config.text.vocab_size;
  RandomBatch batch;
  batch.images = at::randn({n, 3, size, size}, generator, at::TensorOptions(at::kFloat));
  batch.tokens = at::randint(1, vocab - 2, {n, ctx}, generator, at::TensorOptions(at::kLong));
  const at::Tensor ends = at::randint(1, ctx, {n}, generator, at::TensorOptions(at::kLong));
  for (int64_t i = 0; i < n; ++i) {
    const int64_t end = ends[i].item<int64_t>();
    batch.tokens[i][end] = vocab - 1;
    if (end + 1 < ctx) batch.tokens[i].narrow(0, end + 1, ctx - end - 1).zero_();
  }
  return batch;
}

/// Every parameter's gradient, cloned (zeros where a parameter has none).
inline std::map<std::string, at::Tensor> gradients(torch::nn::Module& module) {
  std::map<std::string, at::Tensor> out;
  for (const auto& item : module.named_parameters()) {
    const at::Tensor& grad = item.value().grad();
    out[item.key()] = grad.defined() ? grad.detach().clone() : torch::zeros_like(item.value());
  }
  return out;
}

/// ‖a − b‖ / ‖b‖ (‖a − b‖ when b is zero), in double precision.
inline double relative_error(const at::Tensor& a, const at::Tensor& b) {
  const double diff = (a.to(at::kDouble) - b.to(at::kDouble)).norm().item<double>();
  const double ref = b.to(at::kDouble).norm().item<double>();
  return ref > 0 ? diff / ref : diff;
}

}  // namespace clipscale::testing
