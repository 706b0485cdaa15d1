// A job in which one rank fails while the others wait in a collective: rank 1 throws after a few
// all-reduces; the failure must stop every rank (mpirun returns) with rank 1 and its host named.
// Driven by check_abort.sh.
#include <torch/torch.h>

#include <cstdio>

#include "core/error.h"
#include "dist/communicator.h"

int main() {
  auto comm = clipscale::dist::open_communicator("mpi");
  try {
    for (int i = 0;; ++i) {
      if (comm->rank() == 1 && i == 3) throw clipscale::core::Error("injected failure in step 3");
      at::Tensor t = torch::ones({16});
      comm->all_reduce(t, clipscale::dist::ReduceOp::kSum);  // rank 0 blocks here at i = 3
    }
  } catch (const std::exception& e) {
    comm->abort(e.what(), 3);
  }
}
