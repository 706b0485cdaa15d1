#include "dist/all_gather.h"

#include <torch/torch.h>

#include "core/error.h"

namespace clipscale::dist {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

class AllGatherWithGrad : public torch::autograd::Function<AllGatherWithGrad> {
 public:
  // The communicator travels as an address: saved_data holds IValues, and the communicator
  // outlives every graph built during a step.
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& local, int64_t comm_address) {
    ctx->saved_data["comm"] = comm_address;
    return communicator(comm_address).all_gather(local);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    Communicator& comm = communicator(ctx->saved_data["comm"].toInt());
    return {comm.reduce_scatter(grad_outputs[0]), at::Tensor()};
  }

 private:
  static Communicator& communicator(int64_t address) { return *reinterpret_cast<Communicator*>(address); }
};

}  // namespace

at::Tensor all_gather_with_grad(Communicator& comm, const at::Tensor& local) {
  CLIPSCALE_CHECK(local.defined() && local.dim() >= 1) << "all_gather_with_grad needs a tensor with a dim 0";
  if (comm.world_size() == 1) return local;
  return AllGatherWithGrad::apply(local, reinterpret_cast<int64_t>(&comm));
}

}  // namespace clipscale::dist
