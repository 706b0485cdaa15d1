// NCCL backend for CUDA tensors, bootstrapped through MPI: MPI tells each process its rank and
// carries rank 0's ncclUniqueId to the others; every collective then runs on NCCL, on the
// current CUDA stream of the tensor's device (ordered with the kernels that produced it).
// Built only when CMake finds a CUDA LibTorch and NCCL (CLIPSCALE_WITH_NCCL).
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime.h>
#include <nccl.h>
#include <torch/torch.h>

#include <cstring>

#include "core/error.h"
#include "dist/backends.h"

namespace clipscale::dist::detail {
namespace {

void check_nccl(ncclResult_t result, const char* what) {
  if (result == ncclSuccess) return;
  throw core::Error(std::string(what) + " failed: " + ncclGetErrorString(result));
}

void check_cuda(cudaError_t result, const char* what) {
  if (result == cudaSuccess) return;
  throw core::Error(std::string(what) + " failed: " + cudaGetErrorString(result));
}

ncclDataType_t nccl_type(at::ScalarType dtype) {
  switch (dtype) {
    case at::kFloat: return ncclFloat32;
    case at::kDouble: return ncclFloat64;
    case at::kHalf: return ncclFloat16;
    case at::kBFloat16: return ncclBfloat16;
    case at::kLong: return ncclInt64;
    case at::kInt: return ncclInt32;
    case at::kByte: return ncclUint8;
    case at::kChar: return ncclInt8;
    default: break;
  }
  throw core::Error(std::string("the NCCL communicator cannot move tensors of dtype ") + c10::toString(dtype));
}

class NcclCommunicator final : public Communicator {
 public:
  NcclCommunicator() : bootstrap_(make_mpi_communicator()) {
    int devices = 0;
    if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0)
      throw core::UserError("dist.backend = \"nccl\" but no CUDA device is visible on " + describe_rank(*bootstrap_) +
                            ". HINT: use dist.backend = \"mpi\" on CPU nodes, or check CUDA_VISIBLE_DEVICES.");
    device_ = static_cast<c10::DeviceIndex>(bootstrap_->local_rank() % devices);
    check_cuda(cudaSetDevice(device_), "cudaSetDevice");
    ncclUniqueId id;
    if (bootstrap_->rank() == 0) check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
    at::Tensor id_bytes = at::empty({static_cast<int64_t>(sizeof(id))}, at::kByte);
    std::memcpy(id_bytes.data_ptr(), &id, sizeof(id));
    bootstrap_->broadcast(id_bytes, 0);
    std::memcpy(&id, id_bytes.data_ptr(), sizeof(id));
    check_nccl(ncclCommInitRank(&comm_, bootstrap_->world_size(), id, bootstrap_->rank()), "ncclCommInitRank");
  }

  ~NcclCommunicator() override {
    if (comm_ != nullptr) ncclCommDestroy(comm_);
  }

  int rank() const override { return bootstrap_->rank(); }
  int world_size() const override { return bootstrap_->world_size(); }
  int local_rank() const override { return bootstrap_->local_rank(); }
  int local_world_size() const override { return bootstrap_->local_world_size(); }
  std::string backend() const override { return "nccl"; }

  void all_reduce(at::Tensor& tensor, ReduceOp op) override {
    check_tensor(tensor, "all_reduce");
    CLIPSCALE_CHECK(op == ReduceOp::kSum || at::isFloatingType(tensor.scalar_type()))
        << "all_reduce: an average needs a floating-point tensor, got " << tensor.scalar_type();
    c10::cuda::CUDAGuard guard(tensor.device());
    check_nccl(ncclAllReduce(tensor.data_ptr(), tensor.data_ptr(), static_cast<size_t>(tensor.numel()),
                             nccl_type(tensor.scalar_type()), ncclSum, comm_, stream(tensor)),
               "ncclAllReduce");
    if (op == ReduceOp::kAvg && world_size() > 1) tensor.div_(world_size());
  }

  at::Tensor all_gather(const at::Tensor& tensor) override {
    CLIPSCALE_CHECK(tensor.defined() && tensor.dim() >= 1) << "all_gather needs a tensor with a dim 0";
    const std::vector<int64_t> mine = shape_fields(tensor);
    const at::Tensor fields = bootstrap_->all_gather(at::tensor(mine, at::kLong));
    check_shape_fields(std::vector<int64_t>(fields.data_ptr<int64_t>(), fields.data_ptr<int64_t>() + fields.numel()),
                       tensor, rank());
    const at::Tensor input = tensor.contiguous();
    check_tensor(input, "all_gather");
    std::vector<int64_t> sizes = input.sizes().vec();
    sizes[0] *= world_size();
    at::Tensor output = at::empty(sizes, input.options());
    c10::cuda::CUDAGuard guard(input.device());
    check_nccl(ncclAllGather(input.data_ptr(), output.data_ptr(), static_cast<size_t>(input.numel()),
                             nccl_type(input.scalar_type()), comm_, stream(input)),
               "ncclAllGather");
    return output;
  }

  at::Tensor reduce_scatter(const at::Tensor& tensor) override {
    CLIPSCALE_CHECK(tensor.defined() && tensor.dim() >= 1 && tensor.size(0) % world_size() == 0)
        << "reduce_scatter needs [W·k, ...] rows with W = " << world_size() << ", got " << tensor.sizes();
    const at::Tensor input = tensor.contiguous();
    check_tensor(input, "reduce_scatter");
    std::vector<int64_t> sizes = input.sizes().vec();
    sizes[0] /= world_size();
    at::Tensor output = at::empty(sizes, input.options());
    c10::cuda::CUDAGuard guard(input.device());
    check_nccl(ncclReduceScatter(input.data_ptr(), output.data_ptr(), static_cast<size_t>(output.numel()),
                                 nccl_type(input.scalar_type()), ncclSum, comm_, stream(input)),
               "ncclReduceScatter");
    return output;
  }

  void broadcast(at::Tensor& tensor, int root) override {
    check_tensor(tensor, "broadcast");
    c10::cuda::CUDAGuard guard(tensor.device());
    check_nccl(ncclBroadcast(tensor.data_ptr(), tensor.data_ptr(), static_cast<size_t>(tensor.numel()),
                             nccl_type(tensor.scalar_type()), root, comm_, stream(tensor)),
               "ncclBroadcast");
  }

  void barrier() override {
    check_cuda(cudaDeviceSynchronize(), "cudaDeviceSynchronize");
    bootstrap_->barrier();
  }

  [[noreturn]] void abort(const std::string& message, int exit_code) override {
    if (comm_ != nullptr) ncclCommAbort(comm_);
    comm_ = nullptr;
    bootstrap_->abort(message, exit_code);
  }

 private:
  void check_tensor(const at::Tensor& tensor, const char* what) const {
    CLIPSCALE_CHECK(tensor.defined()) << what << " of an undefined tensor";
    CLIPSCALE_CHECK(tensor.is_cuda() && tensor.device().index() == device_)
        << what << ": the NCCL backend takes tensors on cuda:" << static_cast<int>(device_) << ", got "
        << tensor.device();
    CLIPSCALE_CHECK(tensor.is_contiguous()) << what << " needs a contiguous tensor";
  }

  static cudaStream_t stream(const at::Tensor& tensor) {
    return c10::cuda::getCurrentCUDAStream(tensor.device().index()).stream();
  }

  std::unique_ptr<Communicator> bootstrap_;
  c10::DeviceIndex device_ = 0;
  ncclComm_t comm_ = nullptr;
};

}  // namespace

std::unique_ptr<Communicator> make_nccl_communicator() { return std::make_unique<NcclCommunicator>(); }

}  // namespace clipscale::dist::detail
