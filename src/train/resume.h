// Resuming a run: which checkpoint to continue from (the newest that reads back intact, agreed by
// every rank), the rows of the run file up to it, and every rank's RNG state for the next one.
// A resumed run evaluates and checkpoints on the samples an uninterrupted one would, and on CPU
// ends bitwise equal to it.
#pragma once

#include <ATen/core/Tensor.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "io/run_file.h"
#include "train/checkpoint.h"

namespace clipscale::dist {
class Communicator;
}

namespace clipscale::train {

struct ResumePoint {
  std::string dir;  ///< the checkpoint directory
  CheckpointMeta meta;
};

/// The newest complete training checkpoint under `checkpoint_root` that reads back intact, checked
/// on rank 0 (damaged ones are skipped with a warning) and agreed by broadcast: every rank sees
/// the same shared directory. nullopt when there is none.
std::optional<ResumePoint> find_resume_point(const std::string& checkpoint_root, dist::Communicator& comm);

/// The rows of a run file up to a checkpoint, carried into the resumed file.
struct CarriedRows {
  std::vector<io::TrainRecord> train;  ///< rows with step <= the checkpoint's step
  /// task → series → values at evaluations with samples_seen <= the checkpoint's samples.
  std::map<std::string, std::map<std::string, std::vector<double>>> eval;
};

/// The rows of `run_file` up to `meta`. An unreadable file gives no rows (with a warning): the
/// resumed file then starts at the checkpoint.
CarriedRows rows_up_to(const std::string& run_file, const CheckpointMeta& meta);

/// Every rank's CPU generator state, gathered (rank 0 writes them into the checkpoint). Every
/// rank must call it.
std::vector<at::Tensor> gather_rng_states(dist::Communicator& comm);

/// The first multiple of `every` above `samples` (where a resumed run's next evaluation or
/// checkpoint falls); `never` when `every` is 0.
inline int64_t next_multiple(int64_t samples, int64_t every, int64_t never) {
  return every > 0 ? (samples / every + 1) * every : never;
}

}  // namespace clipscale::train
