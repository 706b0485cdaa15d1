// Constructors of the backends compiled into this binary (internal to src/dist).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "dist/communicator.h"

namespace clipscale::dist::detail {

#ifdef CLIPSCALE_WITH_MPI
/// Initialises MPI (MPI_THREAD_FUNNELED) unless it already is; finalises it on destruction.
std::unique_ptr<Communicator> make_mpi_communicator();
#endif

#ifdef CLIPSCALE_WITH_NCCL
/// One NCCL communicator over MPI_COMM_WORLD, device = local rank.
std::unique_ptr<Communicator> make_nccl_communicator();
#endif

}  // namespace clipscale::dist::detail

namespace clipscale::dist::detail {

/// all_gather's agreement check: dtype, rank and sizes of a tensor as kShapeFields integers.
inline constexpr int kShapeFields = 10;
std::vector<int64_t> shape_fields(const at::Tensor& tensor);
/// `all_fields` holds every rank's shape_fields in rank order; throws core::Error naming the
/// first rank whose tensor differs from this rank's `tensor`.
void check_shape_fields(const std::vector<int64_t>& all_fields, const at::Tensor& tensor, int rank);

}  // namespace clipscale::dist::detail
