#include "dist/communicator.h"

#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <optional>

#include "core/env.h"
#include "core/error.h"
#include "core/log.h"
#include "dist/backends.h"

namespace clipscale::dist {
namespace {

std::optional<int> env_int(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  char* end = nullptr;
  const long parsed = std::strtol(value, &end, 10);
  if (*end != '\0' || parsed < 0) return std::nullopt;
  return static_cast<int>(parsed);
}

class LocalCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int world_size() const override { return 1; }
  int local_rank() const override { return 0; }
  int local_world_size() const override { return 1; }
  std::string backend() const override { return "local"; }
  void all_reduce(at::Tensor& tensor, ReduceOp) override {
    CLIPSCALE_CHECK(tensor.defined()) << "all_reduce of an undefined tensor";
  }
  at::Tensor all_gather(const at::Tensor& tensor) override {
    CLIPSCALE_CHECK(tensor.defined() && tensor.dim() >= 1) << "all_gather needs a tensor with a dim 0";
    return tensor.clone();
  }
  at::Tensor reduce_scatter(const at::Tensor& tensor) override {
    CLIPSCALE_CHECK(tensor.defined() && tensor.dim() >= 1) << "reduce_scatter needs a tensor with a dim 0";
    return tensor.clone();
  }
  void broadcast(at::Tensor& tensor, int root) override {
    CLIPSCALE_CHECK(tensor.defined()) << "broadcast of an undefined tensor";
    CLIPSCALE_CHECK_EQ(root, 0);
  }
  void barrier() override {}
  [[noreturn]] void abort(const std::string& message, int exit_code) override {
    std::fprintf(stderr, "error: %s\n", message.c_str());
    std::fflush(stderr);
    std::_Exit(exit_code);
  }
};

}  // namespace

LaunchEnvironment detect_launch_environment() {
  LaunchEnvironment env;
  // OpenMPI's mpirun (also inside a SLURM allocation).
  if (auto size = env_int("OMPI_COMM_WORLD_SIZE")) {
    env.launcher = "mpirun";
    env.world_size = *size;
    env.rank = env_int("OMPI_COMM_WORLD_RANK").value_or(0);
    env.local_rank = env_int("OMPI_COMM_WORLD_LOCAL_RANK").value_or(0);
    env.local_world_size = env_int("OMPI_COMM_WORLD_LOCAL_SIZE").value_or(1);
    return env;
  }
  // srun (with or without PMIx): SLURM's task variables.
  if (auto ntasks = env_int("SLURM_NTASKS"); ntasks && env_int("SLURM_PROCID")) {
    env.launcher = "srun";
    env.world_size = *ntasks;
    env.rank = *env_int("SLURM_PROCID");
    env.local_rank = env_int("SLURM_LOCALID").value_or(0);
    // SLURM_TASKS_PER_NODE looks like "2(x3),1"; the local count of this node is what matters
    // for threads, and SLURM_NTASKS_PER_NODE is set only when the user asked for it.
    env.local_world_size = env_int("SLURM_NTASKS_PER_NODE").value_or(env_int("SLURM_STEP_NUM_TASKS").value_or(1));
    if (auto nodes = env_int("SLURM_STEP_NUM_NODES"); nodes && *nodes > 0 && !env_int("SLURM_NTASKS_PER_NODE"))
      env.local_world_size = (env.world_size + *nodes - 1) / *nodes;
    return env;
  }
  if (auto size = env_int("PMIX_SIZE")) {  // other PMIx launchers
    env.launcher = "pmix";
    env.world_size = *size;
    env.rank = env_int("PMIX_RANK").value_or(0);
  }
  return env;
}

std::unique_ptr<Communicator> make_local_communicator() { return std::make_unique<LocalCommunicator>(); }

std::string available_backends() {
  std::string names = "local";
#ifdef CLIPSCALE_WITH_MPI
  names += ", mpi";
#endif
#ifdef CLIPSCALE_WITH_NCCL
  names += ", nccl";
#endif
  return names;
}

std::unique_ptr<Communicator> open_communicator(const std::string& backend) {
  const LaunchEnvironment env = detect_launch_environment();
  std::string chosen = backend;
  if (chosen == "auto") chosen = env.is_distributed() ? "mpi" : "local";
  if (chosen == "local") {
    if (env.is_distributed())
      throw core::UserError("dist.backend = \"local\" but this process is rank " + std::to_string(env.rank) + " of " +
                            std::to_string(env.world_size) + " (started by " + env.launcher +
                            "). HINT: use dist.backend = \"auto\" or \"mpi\", or start a single process.");
    return make_local_communicator();
  }
#ifdef CLIPSCALE_WITH_MPI
  if (chosen == "mpi") return detail::make_mpi_communicator();
#endif
#ifdef CLIPSCALE_WITH_NCCL
  if (chosen == "nccl") return detail::make_nccl_communicator();
#endif
  throw core::UserError("dist.backend = \"" + backend +
                        "\" is not built into this binary (it has: " + available_backends() + "). HINT: " +
                        (chosen == "nccl" ? std::string("NCCL needs a CUDA LibTorch and NCCL at build time")
                                          : std::string("install libopenmpi-dev and rebuild")) +
                        ", or use dist.backend = \"auto\".");
}

namespace detail {

std::vector<int64_t> shape_fields(const at::Tensor& tensor) {
  CLIPSCALE_CHECK(tensor.dim() <= kShapeFields - 2) << "all_gather of a " << tensor.dim() << "-d tensor";
  std::vector<int64_t> fields(kShapeFields, -1);
  fields[0] = static_cast<int64_t>(tensor.scalar_type());
  fields[1] = tensor.dim();
  for (int64_t d = 0; d < tensor.dim(); ++d) fields[static_cast<size_t>(2 + d)] = tensor.size(d);
  return fields;
}

void check_shape_fields(const std::vector<int64_t>& all_fields, const at::Tensor& tensor, int rank) {
  const std::vector<int64_t> mine = shape_fields(tensor);
  const size_t ranks = all_fields.size() / kShapeFields;
  for (size_t r = 0; r < ranks; ++r) {
    const auto theirs = all_fields.begin() + static_cast<std::ptrdiff_t>(r * kShapeFields);
    if (std::equal(mine.begin(), mine.end(), theirs)) continue;
    std::string shape;
    for (int64_t d = 0; d < theirs[1]; ++d) shape += (d > 0 ? ", " : "") + std::to_string(theirs[2 + d]);
    throw core::Error("all_gather: rank " + std::to_string(rank) + " has " + c10::toString(tensor.scalar_type()) + " " +
                      c10::str(tensor.sizes()) + " but rank " + std::to_string(r) + " has " +
                      c10::toString(static_cast<at::ScalarType>(theirs[0])) + " [" + shape +
                      "] (every rank must gather the same dtype and shape)");
  }
}

}  // namespace detail

std::string describe_rank(const Communicator& comm) {
  return "rank " + std::to_string(comm.rank()) + "/" + std::to_string(comm.world_size()) + " on " + core::host_name();
}

}  // namespace clipscale::dist
