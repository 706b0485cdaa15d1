#include "sweep/local_launcher.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include <fmt/format.h>

#include "core/error.h"
#include "core/timer.h"
#include "io/run_file.h"
#include "io/table_file.h"
#include "sweep/log_tail.h"
#include "sweep/throughput.h"

namespace clipscale::sweep {
namespace {

// Signals received by the launcher (set by the handler, read by the loop).
volatile std::sig_atomic_t g_stop_signal = 0;
volatile std::sig_atomic_t g_signal_count = 0;

void on_signal(int signal) {
  g_stop_signal = signal;
  g_signal_count = g_signal_count + 1;
}

// Catches the stop signals for its lifetime and restores the previous handlers.
class StopSignals {
 public:
  StopSignals() {
    g_stop_signal = 0;
    g_signal_count = 0;
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < kSignals.size(); ++i) sigaction(kSignals[i], &action, &previous_[i]);
  }
  ~StopSignals() {
    for (size_t i = 0; i < kSignals.size(); ++i) sigaction(kSignals[i], &previous_[i], nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  static constexpr std::array<int, 4> kSignals = {SIGINT, SIGTERM, SIGUSR1, SIGHUP};
  std::array<struct sigaction, 4> previous_{};
};

// Appends a launcher line to a run's log.
void log_note(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::app) << io::utc_timestamp() << " clipscale sweep: " << text << "\n";
}

// "exit 1" or "signal 9", as the array script writes it in logs.
std::string plain(const ExitStatus& exit) {
  return exit.signal != 0 ? "signal " + std::to_string(exit.signal) : "exit " + std::to_string(exit.code);
}

std::string progress_bar(size_t done, size_t total, size_t width = 24) {
  const size_t filled = total == 0 ? width : done * width / total;
  return "[" + std::string(filled, '#') + std::string(width - filled, '.') + "]";
}

class LocalLaunch {
 public:
  LocalLaunch(const Plan& plan, const LocalOptions& options) : plan_(plan), options_(options) {}

  LocalReport run() {
    check_programs();
    std::filesystem::create_directories(plan_.layout.logs_dir());
    report_.runs.resize(plan_.runs.size());
    for (const PlannedRun& run : plan_.runs) {
      RunOutcome& outcome = report_.runs[run.index];
      outcome.run = &run;
      if (read_run_progress(plan_.layout.run_file(run.resolved.run_id)).state == RunState::kDone) {
        outcome.was_done = true;
        outcome.state = RunState::kDone;
      } else {
        queue_.push_back(run.index);
      }
    }
    throughput_ = measure_throughput(plan_);
    say(fmt::format("sweep {}: {} runs, {} already done, {} to run, {} at once; logs in {}", plan_.spec.name,
                    plan_.runs.size(), plan_.runs.size() - queue_.size(), queue_.size(), options_.concurrency,
                    plan_.layout.logs_dir()));

    const StopSignals signals;
    double last_progress = -1e9;
    while (!queue_.empty() || !running_.empty()) {
      handle_signals();
      while (!stopping_ && !queue_.empty() && static_cast<int64_t>(running_.size()) < options_.concurrency)
        start_next();
      const bool changed = reap();
      if (changed || clock_.seconds() - last_progress >= options_.progress_every_s) {
        if (!running_.empty() || !queue_.empty()) say(progress_line());
        last_progress = clock_.seconds();
      }
      if (!changed) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    report_.interrupted = stopping_;
    report_.seconds = clock_.seconds();
    return report_;
  }

 private:
  struct Child {
    size_t index;
    double started;
  };

  void say(const std::string& line) const {
    if (options_.progress != nullptr) *options_.progress << line << std::endl;
  }

  void check_programs() {
    if (!find_program(options_.clipscale))
      throw core::UserError("cannot run " + options_.clipscale +
                            ": not an executable file. HINT: build clipscale first.");
    for (const PlannedRun& run : plan_.runs) {
      if (run.ranks > 1 && !find_program(options_.mpirun)) {
        throw core::UserError(plan_.spec.path + ": run " + std::to_string(run.index) + " has " +
                              std::to_string(run.ranks) + " ranks, but " + options_.mpirun +
                              " is not on PATH. HINT: install openmpi-bin (cmake/setup-debian.sh), or set "
                              "launch.ranks_per_run = 1.");
      }
    }
  }

  void start_next() {
    const size_t index = queue_.front();
    queue_.pop_front();
    const PlannedRun& run = plan_.runs[index];
    RunOutcome& outcome = report_.runs[index];
    const std::string log = plan_.layout.log_file(run.resolved.run_id);
    const std::vector<std::string> argv = local_train_argv(plan_, run, options_);
    const size_t attempt = outcome.attempts.size() + 1;
    log_note(log, fmt::format("attempt {} of run {} starts: {}", attempt, run.resolved.run_id, format_command(argv)));
    pid_t pid = 0;
    try {
      pid = spawn_process({argv, log, /*new_process_group=*/true});
    } catch (const core::UserError& e) {  // the log can't be written: this run fails, the others go on
      outcome.state = RunState::kFailed;
      say(fmt::format("FAILED {}: {}", run.resolved.run_id, e.what()));
      return;
    }
    running_[pid] = {index, clock_.seconds()};
    outcome.state = RunState::kRunning;
    say(fmt::format("start {} ({}){}", run.resolved.run_id, describe_axes(run.axes),
                    attempt > 1 ? fmt::format(", attempt {}", attempt) : ""));
  }

  // Collects ended children; true when any ended.
  bool reap() {
    bool changed = false;
    for (auto it = running_.begin(); it != running_.end();) {
      int status = 0;
      const pid_t pid = ::waitpid(it->first, &status, WNOHANG);
      if (pid == 0 || (pid < 0 && errno == EINTR)) {
        ++it;
        continue;
      }
      const Child child = it->second;
      it = running_.erase(it);
      changed = true;
      finished(child, pid < 0 ? ExitStatus{} : ExitStatus::from_wait_status(status));
    }
    return changed;
  }

  void finished(const Child& child, const ExitStatus& exit) {
    const PlannedRun& run = plan_.runs[child.index];
    RunOutcome& outcome = report_.runs[child.index];
    outcome.attempts.push_back(exit);
    const std::string log = plan_.layout.log_file(run.resolved.run_id);
    const double seconds = clock_.seconds() - child.started;
    if (exit.ok()) {
      outcome.state = RunState::kDone;
      log_note(log, "run " + run.resolved.run_id + " ended: exit 0");
      say(fmt::format("done  {} in {}", run.resolved.run_id, format_duration(seconds)));
      try {
        throughput_.add(io::read_run_file(plan_.layout.run_file(run.resolved.run_id)));
      } catch (const std::exception&) {
      }
      return;
    }
    const bool preempted = exit.code == core::kPreemptedExitCode || (stopping_ && !exit.ok());
    if (preempted) {
      log_note(log, "run " + run.resolved.run_id + " ended: " + plain(exit) + " (preempted)");
      if (stopping_) {
        outcome.state = RunState::kPreempted;
        say(fmt::format("stopped {} ({}); it resumes when the sweep runs again", run.resolved.run_id, plain(exit)));
        return;
      }
      if (++requeues_[child.index] <= options_.max_requeues) {
        outcome.state = RunState::kPreempted;
        queue_.push_front(child.index);  // resume at once from its checkpoint
        say(fmt::format("preempted {} ({}); requeued", run.resolved.run_id, plain(exit)));
        return;
      }
    } else {
      log_note(log, "run " + run.resolved.run_id + " ended: " + plain(exit) + " (failed)");
    }
    const std::string tail = tail_lines(log, 3);
    const int64_t failures = ++failures_[child.index];
    if (!preempted && exit.code != core::kUserErrorExitCode && failures <= options_.max_retries && !stopping_) {
      outcome.state = RunState::kPending;
      queue_.push_back(child.index);
      say(fmt::format("fail  {} ({}), retry {} of {}; log {}", run.resolved.run_id, exit.describe(), failures,
                      options_.max_retries, log));
      return;
    }
    outcome.state = RunState::kFailed;
    say(fmt::format("FAILED {} ({}); log {}\n    {}", run.resolved.run_id, exit.describe(), log, tail));
  }

  void handle_signals() {
    if (g_signal_count == 0) return;
    if (!stopping_) {
      stopping_ = true;
      for (const size_t index : queue_) report_.runs[index].state = RunState::kPending;
      queue_.clear();
      say(fmt::format("got signal {}: stopping; {} running run{} checkpoint and stop (signal again to kill them)",
                      static_cast<int>(g_stop_signal), running_.size(), running_.size() == 1 ? "" : "s"));
      for (const auto& [pid, child] : running_) ::kill(pid, SIGUSR1);
    }
    if (g_signal_count > 1 && !killed_) {
      killed_ = true;
      for (const auto& [pid, child] : running_) ::kill(-pid, SIGKILL);
    }
  }

  std::string progress_line() const {
    const size_t total = plan_.runs.size();
    const size_t done = report_.count(RunState::kDone), failed = report_.count(RunState::kFailed);
    std::string line =
        fmt::format("{} {}/{} done, {} running, {} queued, {} failed | {} elapsed", progress_bar(done, total), done,
                    total, running_.size(), queue_.size(), failed, format_duration(clock_.seconds()));
    if (throughput_.runs() == 0) return line + " | ETA after the first run";
    std::vector<double> queued, running;
    for (const size_t index : queue_) queued.push_back(throughput_.estimate_seconds(plan_.runs[index]).value_or(0));
    for (const auto& [pid, child] : running_) {
      const double estimate = throughput_.estimate_seconds(plan_.runs[child.index]).value_or(0);
      running.push_back(std::max(0.0, estimate - (clock_.seconds() - child.started)));
    }
    return line + " | ETA " + format_duration(wall_seconds(queued, options_.concurrency, running));
  }

  const Plan& plan_;
  const LocalOptions& options_;
  LocalReport report_;
  std::deque<size_t> queue_;
  std::map<pid_t, Child> running_;
  std::map<size_t, int64_t> failures_, requeues_;
  Throughput throughput_;
  core::Stopwatch clock_;
  bool stopping_ = false;
  bool killed_ = false;
};

}  // namespace

size_t LocalReport::count(RunState state) const {
  size_t n = 0;
  for (const RunOutcome& r : runs) n += r.state == state ? 1 : 0;
  return n;
}

std::vector<std::string> local_train_argv(const Plan& plan, const PlannedRun& run, const LocalOptions& options) {
  std::vector<std::string> argv;
  if (run.ranks > 1) {
    // --bind-to none: concurrent runs would otherwise all be pinned to the first cores.
    argv = {options.mpirun, "-np", std::to_string(run.ranks), "--oversubscribe", "--bind-to", "none"};
    if (::geteuid() == 0) argv.push_back("--allow-run-as-root");
  }
  argv.push_back(options.clipscale);
  argv.push_back("train");
  argv.push_back(plan.spec.base);
  for (const std::string& value : plan.train_overrides(run)) {
    argv.push_back("--set");
    argv.push_back(value);
  }
  return argv;
}

LocalReport run_local(const Plan& plan, const LocalOptions& options) { return LocalLaunch(plan, options).run(); }

std::string format_local_report(const Plan& plan, const LocalReport& report) {
  std::string out;
  for (const RunOutcome& r : report.runs) {
    std::string attempts;
    for (const ExitStatus& e : r.attempts) attempts += (attempts.empty() ? "" : ", ") + e.describe();
    if (r.was_done) attempts = "already done";
    if (attempts.empty()) attempts = "not started";
    out += fmt::format("{:>4}  {}  {:<9}  {}\n", r.run->index, r.run->resolved.run_id, state_name(r.state), attempts);
  }
  out += fmt::format("sweep {}: {} done, {} failed, {} preempted, {} pending after {}{}\n", plan.spec.name,
                     report.count(RunState::kDone), report.count(RunState::kFailed), report.count(RunState::kPreempted),
                     report.count(RunState::kPending), format_duration(report.seconds),
                     report.interrupted ? " (stopped by a signal)" : "");
  return out;
}

}  // namespace clipscale::sweep
