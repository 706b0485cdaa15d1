// MPI backend for CPU tensors: collectives straight on the tensors' memory (no staging copies
// for contiguous tensors), errors returned instead of aborting so they carry a message.
#include <mpi.h>
#include <torch/torch.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "core/error.h"
#include "dist/backends.h"

namespace clipscale::dist::detail {
namespace {

/// Elements per MPI call: counts are ints, so larger tensors go in pieces.
constexpr int64_t kMaxElementsPerCall = int64_t{1} << 30;

void check_mpi(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw core::Error(std::string(what) + " failed: " + std::string(text, static_cast<size_t>(length)));
}

/// The MPI datatype that moves `dtype`'s values; reduction needs an arithmetic type, the
/// others (gather, broadcast) may move 16-bit floats as raw 16-bit words.
MPI_Datatype mpi_type(at::ScalarType dtype, bool for_reduction) {
  switch (dtype) {
    case at::kFloat: return MPI_FLOAT;
    case at::kDouble: return MPI_DOUBLE;
    case at::kLong: return MPI_INT64_T;
    case at::kInt: return MPI_INT32_T;
    case at::kByte: return MPI_UINT8_T;
    case at::kChar: return MPI_INT8_T;
    case at::kBFloat16:
    case at::kHalf:
      if (!for_reduction) return MPI_UINT16_T;
      break;
    default: break;
  }
  throw core::Error(std::string("the MPI communicator cannot ") + (for_reduction ? "reduce" : "move") +
                    " tensors of dtype " + std::string(c10::toString(dtype)) +
                    (for_reduction ? " (reduce in fp32 or fp64)" : ""));
}

void check_cpu_contiguous(const at::Tensor& tensor, const char* what) {
  CLIPSCALE_CHECK(tensor.defined()) << what << " of an undefined tensor";
  CLIPSCALE_CHECK(tensor.device().is_cpu()) << what << ": the MPI backend takes CPU tensors, got " << tensor.device()
                                            << " (use dist.backend = \"nccl\" on GPUs)";
  CLIPSCALE_CHECK(tensor.is_contiguous()) << what << " needs a contiguous tensor";
}

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator() {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
      int provided = 0;
      // Only the main thread calls MPI (loader threads never do).
      if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        throw core::UserError(
            "MPI_Init_thread failed. HINT: start clipscale with mpirun, or srun --mpi=pmix under "
            "SLURM (srun --mpi=pmi2 or none do not work with Debian's OpenMPI).");
      owns_mpi_ = true;
    }
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size_);
    check_mpi(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node_comm_),
              "MPI_Comm_split_type");
    MPI_Comm_rank(node_comm_, &local_rank_);
    MPI_Comm_size(node_comm_, &local_world_size_);
  }

  ~MpiCommunicator() override {
    MPI_Comm_free(&node_comm_);
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (owns_mpi_ && !finalized) MPI_Finalize();
  }

  int rank() const override { return rank_; }
  int world_size() const override { return world_size_; }
  int local_rank() const override { return local_rank_; }
  int local_world_size() const override { return local_world_size_; }
  std::string backend() const override { return "mpi"; }

  void all_reduce(at::Tensor& tensor, ReduceOp op) override {
    check_cpu_contiguous(tensor, "all_reduce");
    CLIPSCALE_CHECK(op == ReduceOp::kSum || at::isFloatingType(tensor.scalar_type()))
        << "all_reduce: an average needs a floating-point tensor, got " << tensor.scalar_type();
    const MPI_Datatype type = mpi_type(tensor.scalar_type(), true);
    auto* data = static_cast<char*>(tensor.data_ptr());
    const int64_t element_size = tensor.element_size();
    for (int64_t start = 0; start < tensor.numel(); start += kMaxElementsPerCall) {
      const int count = static_cast<int>(std::min(kMaxElementsPerCall, tensor.numel() - start));
      check_mpi(MPI_Allreduce(MPI_IN_PLACE, data + start * element_size, count, type, MPI_SUM, MPI_COMM_WORLD),
                "MPI_Allreduce");
    }
    if (op == ReduceOp::kAvg && world_size_ > 1) tensor.div_(world_size_);
  }

  at::Tensor all_gather(const at::Tensor& tensor) override {
    CLIPSCALE_CHECK(tensor.defined() && tensor.dim() >= 1) << "all_gather needs a tensor with a dim 0";
    check_same_shape_everywhere(tensor);
    const at::Tensor input = tensor.contiguous();
    check_cpu_contiguous(input, "all_gather");
    std::vector<int64_t> sizes = input.sizes().vec();
    sizes[0] *= world_size_;
    at::Tensor output = at::empty(sizes, input.options());
    CLIPSCALE_CHECK(input.numel() <= INT_MAX) << "all_gather of " << input.numel() << " elements per rank";
    const MPI_Datatype type = mpi_type(input.scalar_type(), false);
    check_mpi(MPI_Allgather(input.data_ptr(), static_cast<int>(input.numel()), type, output.data_ptr(),
                            static_cast<int>(input.numel()), type, MPI_COMM_WORLD),
              "MPI_Allgather");
    return output;
  }

  at::Tensor reduce_scatter(const at::Tensor& tensor) override {
    CLIPSCALE_CHECK(tensor.defined() && tensor.dim() >= 1 && tensor.size(0) % world_size_ == 0)
        << "reduce_scatter needs [W·k, ...] rows with W = " << world_size_ << ", got " << tensor.sizes();
    check_same_shape_everywhere(tensor);
    const at::Tensor input = tensor.contiguous();
    check_cpu_contiguous(input, "reduce_scatter");
    std::vector<int64_t> sizes = input.sizes().vec();
    sizes[0] /= world_size_;
    at::Tensor output = at::empty(sizes, input.options());
    CLIPSCALE_CHECK(output.numel() <= INT_MAX) << "reduce_scatter of " << output.numel() << " elements per rank";
    check_mpi(MPI_Reduce_scatter_block(input.data_ptr(), output.data_ptr(), static_cast<int>(output.numel()),
                                       mpi_type(input.scalar_type(), true), MPI_SUM, MPI_COMM_WORLD),
              "MPI_Reduce_scatter_block");
    return output;
  }

  void broadcast(at::Tensor& tensor, int root) override {
    check_cpu_contiguous(tensor, "broadcast");
    CLIPSCALE_CHECK(root >= 0 && root < world_size_) << "broadcast root " << root;
    const MPI_Datatype type = mpi_type(tensor.scalar_type(), false);
    auto* data = static_cast<char*>(tensor.data_ptr());
    const int64_t element_size = tensor.element_size();
    for (int64_t start = 0; start < tensor.numel(); start += kMaxElementsPerCall) {
      const int count = static_cast<int>(std::min(kMaxElementsPerCall, tensor.numel() - start));
      check_mpi(MPI_Bcast(data + start * element_size, count, type, root, MPI_COMM_WORLD), "MPI_Bcast");
    }
  }

  void barrier() override { check_mpi(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }

  [[noreturn]] void abort(const std::string& message, int exit_code) override {
    std::fprintf(stderr, "error on %s: %s\n", describe_rank(*this).c_str(), message.c_str());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, exit_code);
    std::_Exit(exit_code);  // MPI_Abort does not return; this only satisfies [[noreturn]]
  }

 private:
  /// Every rank must pass the same dtype and shape; gathering them first turns a mismatch
  /// (a silent corruption in MPI_Allgather) into an error on every rank at once.
  void check_same_shape_everywhere(const at::Tensor& tensor) {
    const std::vector<int64_t> mine = shape_fields(tensor);
    std::vector<int64_t> all(mine.size() * static_cast<size_t>(world_size_));
    check_mpi(
        MPI_Allgather(mine.data(), kShapeFields, MPI_INT64_T, all.data(), kShapeFields, MPI_INT64_T, MPI_COMM_WORLD),
        "MPI_Allgather");
    check_shape_fields(all, tensor, rank_);
  }

  int rank_ = 0;
  int world_size_ = 1;
  int local_rank_ = 0;
  int local_world_size_ = 1;
  bool owns_mpi_ = false;
  MPI_Comm node_comm_ = MPI_COMM_NULL;
};

}  // namespace

std::unique_ptr<Communicator> make_mpi_communicator() { return std::make_unique<MpiCommunicator>(); }

}  // namespace clipscale::dist::detail
