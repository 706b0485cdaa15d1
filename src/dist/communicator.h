// The communicator: the only way ranks talk to each other. Backends: local (one process, always
// built), MPI (CPU tensors; OpenMPI under mpirun or srun --mpi=pmix) and NCCL (CUDA tensors,
// bootstrapped through MPI; built only where CUDA LibTorch and NCCL are found).
//
// Every collective must be called by every rank in the same order with tensors of the same dtype
// and shape (all_gather: the same shape on every rank). A rank that cannot continue calls abort(),
// which stops every rank of the job instead of leaving the others blocked in a collective.
#pragma once

#include <ATen/core/Tensor.h>

#include <memory>
#include <string>

namespace clipscale::dist {

enum class ReduceOp { kSum, kAvg };

/// Where this process sits in the job, read from the launcher's environment before any
/// communication: OpenMPI's mpirun (OMPI_COMM_WORLD_*), PMIx (srun --mpi=pmix: PMIX_RANK plus
/// SLURM_*) or SLURM alone (SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID).
struct LaunchEnvironment {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  int local_world_size = 1;
  std::string launcher = "none";  ///< "mpirun", "srun" or "none"

  bool is_distributed() const { return world_size > 1; }
};
LaunchEnvironment detect_launch_environment();

class Communicator {
 public:
  virtual ~Communicator() = default;

  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  /// Rank among the processes on this host, and how many there are (for threads and devices).
  virtual int local_rank() const = 0;
  virtual int local_world_size() const = 0;
  /// "local", "mpi" or "nccl".
  virtual std::string backend() const = 0;

  /// In place: every rank ends with the sum (or mean) over ranks. Contiguous tensor.
  virtual void all_reduce(at::Tensor& tensor, ReduceOp op) = 0;
  /// Concatenates every rank's tensor along dim 0, in rank order. Shapes must agree on every
  /// rank; a mismatch is detected and reported (never silently mixed).
  virtual at::Tensor all_gather(const at::Tensor& tensor) = 0;
  /// Sums `tensor` ([W·k, ...], the same shape on every rank) over ranks and returns this rank's
  /// k rows of the sum: the backward of all_gather, at half the traffic of an all-reduce.
  virtual at::Tensor reduce_scatter(const at::Tensor& tensor) = 0;
  /// In place: every rank ends with `root`'s values.
  virtual void broadcast(at::Tensor& tensor, int root) = 0;
  virtual void barrier() = 0;
  /// Stops every rank of the job with `exit_code`, after printing `message` prefixed by this
  /// rank and host to stderr. Never returns.
  [[noreturn]] virtual void abort(const std::string& message, int exit_code) = 0;
};

/// World size 1: collectives are identities.
std::unique_ptr<Communicator> make_local_communicator();

/// Opens the communicator named by `backend`: "local", "mpi", "nccl", or "auto" (MPI when the
/// process was started by mpirun or srun with more than one task, local otherwise). Throws
/// core::UserError when the backend is not built into this binary or cannot start.
std::unique_ptr<Communicator> open_communicator(const std::string& backend);

/// Backends this binary was built with, e.g. "local, mpi".
std::string available_backends();

/// "rank 1/2 on node07" — the prefix of every distributed error message.
std::string describe_rank(const Communicator& comm);

}  // namespace clipscale::dist
