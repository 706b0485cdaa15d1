#include "sweep/run_status.h"

#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "core/error.h"
#include "io/run_file.h"
#include "sweep/json_values.h"
#include "sweep/log_tail.h"
#include "sweep/process.h"

namespace clipscale::sweep {
namespace {

std::vector<std::string> split(const std::string& line, char separator) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t end = line.find(separator, start);
    out.push_back(line.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) return out;
    start = end + 1;
  }
}

bool is_active(const std::string& slurm_state) {
  return slurm_state == "RUNNING" || slurm_state == "COMPLETING" || slurm_state == "CONFIGURING" ||
         slurm_state == "STAGE_OUT" || slurm_state == "SIGNALING";
}

}  // namespace

std::string_view state_name(RunState state) {
  switch (state) {
    case RunState::kPending: return "pending";
    case RunState::kRunning: return "running";
    case RunState::kDone: return "done";
    case RunState::kFailed: return "failed";
    case RunState::kPreempted: return "preempted";
  }
  return "?";
}

RunProgress read_run_progress(const std::string& path) {
  RunProgress progress;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return progress;
  try {
    const io::RunFile file = io::read_run_file(path);
    progress.samples_target = file.header.samples_seen_target;
    if (!file.train.empty()) progress.samples_seen = file.train.back().samples_seen;
    if (file.status == io::kRunStatusDone) {
      progress.state = RunState::kDone;
    } else if (file.status == io::kRunStatusFailed) {
      progress.state = RunState::kFailed;
    } else if (file.status == io::kRunStatusPreempted) {
      progress.state = RunState::kPreempted;
    } else {
      progress.state = RunState::kRunning;
    }
  } catch (const std::exception& e) {
    progress.state = RunState::kFailed;
    progress.problem = e.what();
  }
  return progress;
}

std::optional<SlurmJobs> read_slurm_jobs(const spec::ResultsLayout& layout) {
  std::ifstream jobs(layout.slurm_jobs_file());
  if (!jobs) return std::nullopt;
  SlurmJobs out;
  std::string line;
  while (std::getline(jobs, line)) {
    const std::vector<std::string> f = split(line, '\t');
    if (f.size() >= 2 && f[0] == "array") out.array_job_ids.push_back(f[1]);
    if (f.size() >= 2 && f[0] == "collect") out.collect_job_id = f[1];
  }
  std::ifstream runs(layout.slurm_runs_file());
  while (std::getline(runs, line)) {
    const std::vector<std::string> f = split(line, '\t');
    if (f.size() < 2 || f[0].empty() || f[0].find_first_not_of("0123456789") != std::string::npos) continue;
    out.run_ids[std::stoll(f[0])] = f[1];
  }
  return out;
}

size_t SweepStatus::count(RunState state) const {
  const auto it = counts.find(state);
  return it == counts.end() ? 0 : it->second;
}

SweepStatus sweep_status(const Plan& plan, const StatusOptions& options) {
  SweepStatus status;
  // squeue first: a task that finishes between the two looks is then seen done in its file.
  std::map<std::string, SlurmTask> slurm_by_run;
  status.slurm = read_slurm_jobs(plan.layout);
  if (status.slurm && options.query_slurm && !status.slurm->array_job_ids.empty()) {
    std::string ids;
    for (const std::string& id : status.slurm->array_job_ids) ids += (ids.empty() ? "" : ",") + id;
    try {
      const CommandOutput out = run_command({options.squeue, "-h", "-r", "-j", ids, "-o", kSqueueFormat});
      if (out.status.ok()) {
        for (const SlurmTask& task : parse_squeue(out.out, status.slurm->array_job_ids)) {
          const auto it = status.slurm->run_ids.find(task.index);
          if (it != status.slurm->run_ids.end()) slurm_by_run[it->second] = task;
        }
      } else if (out.err.find("Invalid job id") == std::string::npos) {
        // (squeue rejects ids it no longer knows: every task has finished.)
        status.slurm_note = "squeue failed (" + out.status.describe() + "): " + out.err;
      }
    } catch (const core::UserError& e) {
      status.slurm_note = e.what();
    }
  }
  for (const PlannedRun& run : plan.runs) {
    RunStatus s;
    s.run = &run;
    s.progress = read_run_progress(plan.layout.run_file(run.resolved.run_id));
    s.state = s.progress.state;
    const auto task = slurm_by_run.find(run.resolved.run_id);
    if (task != slurm_by_run.end() && s.state != RunState::kDone) {
      s.slurm = task->second;
      if (is_active(task->second.state)) {
        s.state = RunState::kRunning;
      } else if (s.state != RunState::kPending) {
        s.state = RunState::kPreempted;  // started before, queued again: it resumes
      }
    }
    if (s.state == RunState::kFailed) {
      s.message = s.progress.problem.empty() ? tail_lines(plan.layout.log_file(run.resolved.run_id), options.log_lines)
                                             : s.progress.problem;
    }
    ++status.counts[s.state];
    status.runs.push_back(std::move(s));
  }
  return status;
}

std::string format_status(const Plan& plan, const SweepStatus& status) {
  std::string out =
      fmt::format("sweep {}: {} runs, results in {}\n", plan.spec.name, plan.runs.size(), plan.layout.root);
  if (status.slurm && !status.slurm->array_job_ids.empty()) {
    std::string ids;
    for (const std::string& id : status.slurm->array_job_ids) ids += (ids.empty() ? "" : ", ") + id;
    out += "SLURM array job" + std::string(status.slurm->array_job_ids.size() > 1 ? "s " : " ") + ids;
    if (!status.slurm->collect_job_id.empty()) out += ", collect job " + status.slurm->collect_job_id;
    out += "\n";
  }
  if (!status.slurm_note.empty()) out += "note: " + status.slurm_note + "\n";
  size_t id_width = 6;
  for (const RunStatus& s : status.runs) id_width = std::max(id_width, s.run->resolved.run_id.size());
  out += fmt::format("{:>4}  {:<{}}  {:<9}  {:>17}  {:<24}  {}\n", "#", "run id", id_width, "state", "samples", "slurm",
                     "axes");
  for (const RunStatus& s : status.runs) {
    const std::string samples =
        s.progress.samples_target > 0 ? fmt::format("{}/{}", s.progress.samples_seen, s.progress.samples_target) : "-";
    const std::string slurm =
        s.slurm ? s.slurm->state + (s.slurm->reason == "None" ? "" : " (" + s.slurm->reason + ")") : "";
    out += fmt::format("{:>4}  {:<{}}  {:<9}  {:>17}  {:<24}  {}\n", s.run->index, s.run->resolved.run_id, id_width,
                       state_name(s.state), samples, slurm, describe_axes(s.run->axes));
  }
  for (const RunStatus& s : status.runs) {
    if (s.state != RunState::kFailed) continue;
    out += fmt::format("failed: {} ({}); log {}\n", s.run->resolved.run_id, describe_axes(s.run->axes),
                       plan.layout.log_file(s.run->resolved.run_id));
    std::string message = s.message.empty() ? "(no log lines)" : s.message;
    size_t start = 0;
    while (start < message.size()) {
      const size_t end = message.find('\n', start);
      out += "    " + message.substr(start, end == std::string::npos ? std::string::npos : end - start) + "\n";
      if (end == std::string::npos) break;
      start = end + 1;
    }
  }
  out +=
      fmt::format("{} runs: {} done, {} running, {} preempted, {} failed, {} pending\n", plan.runs.size(),
                  status.count(RunState::kDone), status.count(RunState::kRunning), status.count(RunState::kPreempted),
                  status.count(RunState::kFailed), status.count(RunState::kPending));
  return out;
}

std::string format_status_json(const Plan& plan, const SweepStatus& status) {
  nlohmann::json out;
  out["sweep"] = plan.spec.name;
  out["results"] = plan.layout.root;
  out["counts"] = nlohmann::json::object();
  for (const RunState state :
       {RunState::kDone, RunState::kRunning, RunState::kPreempted, RunState::kFailed, RunState::kPending})
    out["counts"][std::string(state_name(state))] = status.count(state);
  out["slurm_jobs"] = status.slurm ? status.slurm->array_job_ids : std::vector<std::string>{};
  out["slurm_note"] = status.slurm_note;
  out["runs"] = nlohmann::json::array();
  for (const RunStatus& s : status.runs) {
    out["runs"].push_back({{"index", s.run->index},
                           {"run_id", s.run->resolved.run_id},
                           {"state", state_name(s.state)},
                           {"samples_seen", s.progress.samples_seen},
                           {"samples_target", s.progress.samples_target},
                           {"slurm_state", s.slurm ? s.slurm->state : ""},
                           {"slurm_reason", s.slurm ? s.slurm->reason : ""},
                           {"message", s.message},
                           {"axes", axes_json(s.run->axes)}});
  }
  return out.dump(2) + "\n";
}

}  // namespace clipscale::sweep
