// One step's forward and backward on this rank's batch, with the contrastive loss in its
// distributed form and, optionally, gradient caching (GradCache, Gao et al. 2021):
//
//  1. embed every chunk of the rank's batch without a graph, remembering each chunk's RNG state;
//  2. gather the embeddings over ranks (with gradient), compute the loss once, and back-propagate
//     it to the embeddings only: d loss / d embedding is cached, and the logit scale (and SigLIP
//     bias) receive their gradient here, once;
//  3. re-run each chunk with a graph, from its saved RNG state, and back-propagate its slice of
//     the cached gradient into the towers.
//
// Peak activation memory is one chunk's; parameter gradients equal the uncached ones (the chain
// rule summed chunk by chunk). Steps 1 and 3 cost one extra forward: about 4/3 of a plain step.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include "dist/communicator.h"
#include "model/autocast.h"
#include "train/loss.h"

namespace clipscale::model {
class ClipModelImpl;
}

namespace clipscale::train {

/// The towers: (images, tokens) → L2-normalised fp32 (image, text) features.
using EmbedFn = std::function<std::pair<at::Tensor, at::Tensor>(const at::Tensor&, const at::Tensor&)>;

/// Forward and backward of one step: on return every parameter's .grad holds this rank's
/// gradient (to be averaged over ranks). `chunk_size` 0 (or ≥ B) runs the whole batch at once;
/// otherwise the batch is cached in chunks of `chunk_size` rows. `logit_scale` is the pre-exp
/// parameter. Returns this rank's loss.
double forward_backward(const EmbedFn& embed, const at::Tensor& logit_scale, const at::Tensor& logit_bias,
                        const at::Tensor& images, const at::Tensor& tokens, dist::Communicator& comm,
                        const LossOptions& loss, model::Precision precision, int64_t chunk_size);

/// The same for a CLIP model (its forward, logit scale and bias).
double forward_backward(model::ClipModelImpl& model, const at::Tensor& images, const at::Tensor& tokens,
                        dist::Communicator& comm, const LossOptions& loss, model::Precision precision,
                        int64_t chunk_size);

}  // namespace clipscale::train
