#include "dist/gradient_reducer.h"

#include <torch/torch.h>

#include <map>

#include "core/error.h"

namespace clipscale::dist {

void broadcast_tensors(Communicator& comm, const std::vector<at::Tensor>& tensors, int root) {
  if (comm.world_size() == 1) return;
  torch::NoGradGuard no_grad;
  // One collective per dtype instead of one per tensor: a model has hundreds of small tensors, and
  // each collective pays a fixed latency.
  std::map<at::ScalarType, std::vector<at::Tensor>> by_dtype;
  for (const auto& t : tensors) by_dtype[t.scalar_type()].push_back(t);
  for (auto& [dtype, group] : by_dtype) {
    std::vector<at::Tensor> flat_parts;
    for (const auto& t : group) flat_parts.push_back(t.reshape({-1}));
    at::Tensor flat = torch::cat(flat_parts);
    comm.broadcast(flat, root);
    int64_t offset = 0;
    for (auto& t : group) {
      t.copy_(flat.narrow(0, offset, t.numel()).view_as(t));
      offset += t.numel();
    }
  }
}

GradientReducer::GradientReducer(Communicator& comm, std::vector<at::Tensor> parameters, int64_t bucket_bytes)
    : comm_(comm), parameters_(std::move(parameters)) {
  CLIPSCALE_CHECK_GT(bucket_bytes, 0);
  Bucket current;
  int64_t current_bytes = 0;
  auto close = [&] {
    if (current.members.empty()) return;
    int64_t numel = 0;
    for (size_t i : current.members) numel += parameters_[i].numel();
    current.flat = torch::zeros({numel}, parameters_[current.members.front()].options().requires_grad(false));
    buckets_.push_back(std::move(current));
    current = Bucket{};
    current_bytes = 0;
  };
  // Buckets are filled in reverse parameter order, the order backward produces gradients in, so
  // that a bucket whose gradients are all ready could be sent while backward goes on. A bucket
  // holds one dtype only: the all-reduce runs on one flat buffer.
  for (size_t i = parameters_.size(); i-- > 0;) {
    const at::Tensor& p = parameters_[i];
    const bool other_dtype =
        !current.members.empty() && parameters_[current.members.front()].scalar_type() != p.scalar_type();
    const int64_t bytes = p.numel() * p.element_size();
    if (other_dtype || (current_bytes > 0 && current_bytes + bytes > bucket_bytes)) close();
    current.members.push_back(i);
    current_bytes += bytes;
  }
  close();
}

void GradientReducer::average_gradients() {
  if (comm_.world_size() == 1) return;
  torch::NoGradGuard no_grad;
  for (Bucket& bucket : buckets_) {
    int64_t offset = 0;
    for (size_t i : bucket.members) {
      const at::Tensor& p = parameters_[i];
      at::Tensor slot = bucket.flat.narrow(0, offset, p.numel());
      // A parameter without a gradient on this rank (unused this step) still takes part with
      // zeros, so every rank reduces buffers of the same layout.
      if (p.grad().defined()) {
        slot.view_as(p).copy_(p.grad());
      } else {
        slot.zero_();
      }
      offset += p.numel();
    }
    comm_.all_reduce(bucket.flat, ReduceOp::kAvg);
    offset = 0;
    for (size_t i : bucket.members) {
      at::Tensor p = parameters_[i];
      at::Tensor averaged = bucket.flat.narrow(0, offset, p.numel()).view_as(p);
      if (p.grad().defined()) {
        p.mutable_grad().copy_(averaged);
      } else {
        p.mutable_grad() = averaged.clone();
      }
      offset += p.numel();
    }
  }
}

double GradientReducer::ring_bytes_per_step() const {
  double bytes = 0;
  for (const Bucket& b : buckets_) bytes += static_cast<double>(b.flat.numel() * b.flat.element_size());
  const double w = comm_.world_size();
  return 2.0 * (w - 1.0) / w * bytes;
}

}  // namespace clipscale::dist
