// Keeping ranks in lockstep: parameters broadcast from rank 0 at the start, gradients averaged
// over ranks after every backward in flattened buckets (few large collectives instead of one per
// parameter; see README "Distributed training" for the volume per step).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "dist/communicator.h"

namespace clipscale::dist {

/// Overwrites every tensor with `root`'s values (one flattened broadcast per dtype).
void broadcast_tensors(Communicator& comm, const std::vector<at::Tensor>& tensors, int root = 0);

class GradientReducer {
 public:
  /// `parameters` in registration order; buckets are filled from the last parameter backwards
  /// (the order backward produces gradients) up to `bucket_bytes` each; one bucket holds one dtype.
  GradientReducer(Communicator& comm, std::vector<at::Tensor> parameters, int64_t bucket_bytes);

  /// Replaces every parameter's .grad with its mean over ranks. A parameter without a gradient
  /// on this rank counts as zero (and gets a zero .grad), so every rank reduces the same buckets.
  void average_gradients();

  int64_t bucket_count() const { return static_cast<int64_t>(buckets_.size()); }
  /// Bytes each rank sends and receives per average_gradients() with a ring all-reduce:
  /// 2 (W−1)/W × gradient bytes.
  double ring_bytes_per_step() const;

 private:
  struct Bucket {
    std::vector<size_t> members;  ///< indices into parameters_
    at::Tensor flat;              ///< the flattened gradients, reused every step
  };

  Communicator& comm_;
  std::vector<at::Tensor> parameters_;
  std::vector<Bucket> buckets_;
};

}  // namespace clipscale::dist
