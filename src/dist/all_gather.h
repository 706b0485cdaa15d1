// All-gather with gradient: the collective the distributed contrastive losses are built on.
#pragma once

#include <ATen/core/Tensor.h>

#include "dist/communicator.h"

namespace clipscale::dist {

/// Concatenates every rank's `local` ([B, ...], the same shape on every rank) along dim 0 in rank
/// order, as an autograd operation. Backward sums the gradient arriving at the gathered [W·B, ...]
/// tensor over ranks and keeps this rank's rows (one reduce-scatter): rank r receives
/// Σ_q ∂L_q/∂local_r, so averaging parameter gradients over ranks afterwards gives the gradient
/// of the mean of the ranks' losses. With one rank it is the identity.
at::Tensor all_gather_with_grad(Communicator& comm, const at::Tensor& local);

}  // namespace clipscale::dist
