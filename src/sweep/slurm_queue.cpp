#include "sweep/slurm_queue.h"

#include <algorithm>
#include <cctype>

#include "core/error.h"

namespace clipscale::sweep {
namespace {

bool all_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

}  // namespace

std::string format_index_list(const std::vector<int64_t>& indices) {
  std::string out;
  for (size_t i = 0; i < indices.size();) {
    size_t j = i;
    while (j + 1 < indices.size() && indices[j + 1] == indices[j] + 1) ++j;
    out += (out.empty() ? "" : ",") + std::to_string(indices[i]);
    if (j > i) out += "-" + std::to_string(indices[j]);
    i = j + 1;
  }
  return out;
}

std::vector<int64_t> parse_index_list(std::string_view text) {
  const std::string_view all = text;
  const size_t percent = text.find('%');
  if (percent != std::string_view::npos) text = text.substr(0, percent);
  std::vector<int64_t> out;
  const auto bad = [&all]() {
    return core::UserError("malformed SLURM array index list '" + std::string(all) +
                           "'. HINT: expected indices and ranges like 0-3,7,9-11.");
  };
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view item = text.substr(start, end - start);
    const size_t dash = item.find('-');
    const std::string_view lo = item.substr(0, dash);
    const std::string_view hi = dash == std::string_view::npos ? lo : item.substr(dash + 1);
    if (!all_digits(lo) || !all_digits(hi)) throw bad();
    const int64_t a = std::stoll(std::string(lo)), b = std::stoll(std::string(hi));
    if (b < a || b - a > 1000000) throw bad();
    for (int64_t i = a; i <= b; ++i) out.push_back(i);
    start = end + 1;
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<SlurmTask> parse_squeue(std::string_view text, const std::vector<std::string>& job_ids) {
  std::vector<SlurmTask> tasks;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = trim(text.substr(start, end - start));
    start = end + 1;
    if (line.empty()) continue;
    const size_t bar1 = line.find('|');
    const size_t bar2 = bar1 == std::string_view::npos ? bar1 : line.find('|', bar1 + 1);
    if (bar2 == std::string_view::npos) {
      throw core::UserError("cannot read squeue line '" + std::string(line) + "': expected JOBID|STATE|REASON. " +
                            "HINT: is squeue from SLURM >= 20.11 on PATH?");
    }
    const std::string_view id = line.substr(0, bar1);
    SlurmTask task;
    task.state = std::string(line.substr(bar1 + 1, bar2 - bar1 - 1));
    task.reason = std::string(line.substr(bar2 + 1));
    const size_t underscore = id.find('_');
    task.job_id = std::string(id.substr(0, underscore));
    if (!all_digits(task.job_id)) {
      throw core::UserError("cannot read squeue line '" + std::string(line) + "': '" + task.job_id +
                            "' is not a job id. HINT: expected JOBID or JOBID_INDEX first.");
    }
    if (!job_ids.empty() && std::find(job_ids.begin(), job_ids.end(), task.job_id) == job_ids.end()) continue;
    if (underscore == std::string_view::npos) {
      task.index = -1;
      tasks.push_back(task);
      continue;
    }
    std::string_view indices = id.substr(underscore + 1);
    if (indices.size() >= 2 && indices.front() == '[' && indices.back() == ']') {
      indices = indices.substr(1, indices.size() - 2);
    }
    for (const int64_t index : parse_index_list(indices)) {
      task.index = index;
      tasks.push_back(task);
    }
  }
  return tasks;
}

}  // namespace clipscale::sweep
