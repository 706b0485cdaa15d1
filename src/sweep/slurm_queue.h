// SLURM job-array bookkeeping: array index lists ("0-3,7,9-11") and squeue's view of the tasks.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace clipscale::sweep {

/// Sorted, distinct indices as sbatch --array writes them: {0,1,2,3,7,9,10,11} → "0-3,7,9-11".
std::string format_index_list(const std::vector<int64_t>& indices);

/// The inverse of format_index_list; a "%N" throttle suffix is ignored. Throws core::UserError
/// on malformed text.
std::vector<int64_t> parse_index_list(std::string_view text);

/// One array task as squeue reports it.
struct SlurmTask {
  std::string job_id;  ///< the array job id
  int64_t index = 0;   ///< the array index
  std::string state;   ///< PENDING, RUNNING, COMPLETING, REQUEUED, ...
  std::string reason;  ///< squeue's %r: None, Priority, BeginTime, JobArrayTaskLimit, ...
};

/// The squeue format parse_squeue reads: `squeue -h -r -j IDS -o '%i|%T|%r'`.
inline constexpr const char* kSqueueFormat = "%i|%T|%r";

/// Parses squeue output in kSqueueFormat: lines like "12_3|RUNNING|None" (one task),
/// "12_[4-6,9%2]|PENDING|JobArrayTaskLimit" (pending tasks not yet split off, expanded here) and
/// "13|PENDING|Dependency" (a job that is not an array: index -1). Lines of jobs not in
/// `job_ids` are left out (all kept when it is empty); blank lines are skipped; a malformed
/// line throws core::UserError quoting it.
std::vector<SlurmTask> parse_squeue(std::string_view text, const std::vector<std::string>& job_ids = {});

}  // namespace clipscale::sweep
