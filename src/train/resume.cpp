#include "train/resume.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <mutex>

#include "core/error.h"
#include "dist/communicator.h"

namespace clipscale::train {

std::optional<ResumePoint> find_resume_point(const std::string& checkpoint_root, dist::Communicator& comm) {
  const std::vector<std::string> candidates = complete_checkpoints(checkpoint_root);
  at::Tensor chosen = torch::full({1}, -1, torch::kLong);
  if (comm.rank() == 0) {
    for (size_t i = 0; i < candidates.size(); ++i) {
      try {
        verify_training_checkpoint(candidates[i]);
        chosen.fill_(static_cast<int64_t>(i));
        break;
      } catch (const core::UserError& e) {
        spdlog::warn("checkpoint {} cannot be used ({}); trying an older one", candidates[i], e.what());
      }
    }
  }
  // Rank 0 alone reads the files; the others take its choice, so no two ranks resume from
  // different steps even when a checkpoint is being pruned meanwhile.
  comm.broadcast(chosen, 0);
  const int64_t index = chosen.item<int64_t>();
  if (index < 0) return std::nullopt;
  CLIPSCALE_CHECK_LT(index, static_cast<int64_t>(candidates.size()))
      << "rank " << comm.rank() << " sees fewer checkpoints in " << checkpoint_root << " than rank 0";
  const std::string& dir = candidates[static_cast<size_t>(index)];
  return ResumePoint{dir, read_checkpoint_meta(dir)};
}

CarriedRows rows_up_to(const std::string& run_file, const CheckpointMeta& meta) {
  CarriedRows rows;
  io::RunFile previous;
  try {
    previous = io::read_run_file(run_file);
  } catch (const std::exception& e) {
    spdlog::warn("run file {} cannot be read ({}); the resumed file starts at step {} without the earlier rows",
                 run_file, e.what(), meta.step);
    return rows;
  }
  for (const io::TrainRecord& record : previous.train)
    if (record.step <= meta.step) rows.train.push_back(record);
  // Evaluations after the checkpoint are dropped: the resumed run makes them again, at the same
  // samples, so no row is missing or twice.
  for (const auto& [task, series] : previous.eval_series) {
    const auto samples = series.find("samples_seen");
    if (samples == series.end()) continue;
    for (size_t row = 0; row < samples->second.size(); ++row) {
      if (samples->second[row] > static_cast<double>(meta.samples_seen)) continue;
      for (const auto& [name, values] : series)
        if (row < values.size()) rows.eval[task][name].push_back(values[row]);
    }
  }
  return rows;
}

std::vector<at::Tensor> gather_rng_states(dist::Communicator& comm) {
  at::Generator generator = at::detail::getDefaultCPUGenerator();
  at::Tensor mine;
  {
    std::lock_guard<std::mutex> lock(generator.mutex());
    mine = generator.get_state();
  }
  const at::Tensor all = comm.all_gather(mine.unsqueeze(0));
  std::vector<at::Tensor> states;
  for (int r = 0; r < comm.world_size(); ++r) states.push_back(all[r].clone());
  return states;
}

}  // namespace clipscale::train
