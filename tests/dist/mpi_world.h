// The communicator of the MPI test binary (set up by mpi_main.cpp, used by every MPI test).
// Every rank runs every test; a test must make the same collectives on every rank, so checks
// that are followed by collectives use EXPECT, never ASSERT.
#pragma once

#include "dist/communicator.h"

namespace clipscale::testing {

dist::Communicator& world();

}  // namespace clipscale::testing
