#include "sweep/process.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "core/error.h"
#include "sweep/shell_quote.h"

extern char** environ;

namespace clipscale::sweep {
namespace {

// posix_spawn attributes and file actions, released on every path.
class SpawnSetup {
 public:
  SpawnSetup() {
    posix_spawnattr_init(&attr_);
    posix_spawn_file_actions_init(&actions_);
  }
  ~SpawnSetup() {
    posix_spawnattr_destroy(&attr_);
    posix_spawn_file_actions_destroy(&actions_);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;

  // Default dispositions for the signals a launcher catches, an empty signal mask, and
  // optionally a process group of its own.
  void reset_signals(bool new_process_group) {
    sigset_t defaults;
    sigemptyset(&defaults);
    for (int s : {SIGINT, SIGTERM, SIGUSR1, SIGUSR2, SIGHUP, SIGPIPE, SIGCHLD}) sigaddset(&defaults, s);
    posix_spawnattr_setsigdefault(&attr_, &defaults);
    sigset_t empty;
    sigemptyset(&empty);
    posix_spawnattr_setsigmask(&attr_, &empty);
    short flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
    if (new_process_group) {
      flags |= POSIX_SPAWN_SETPGROUP;
      posix_spawnattr_setpgroup(&attr_, 0);
    }
    posix_spawnattr_setflags(&attr_, flags);
  }

  pid_t spawn(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    const int error = posix_spawnp(&pid, args[0], &actions_, &attr_, args.data(), environ);
    if (error != 0) {
      throw core::UserError("cannot start " + format_command(argv) + ": " + std::strerror(error) +
                            ". HINT: check that " + argv[0] + " is installed and on PATH.");
    }
    return pid;
  }

  posix_spawn_file_actions_t* actions() { return &actions_; }

 private:
  posix_spawnattr_t attr_;
  posix_spawn_file_actions_t actions_;
};

// Reads both pipes until both are closed, so neither child stream can fill up and block.
void drain(int out_fd, int err_fd, std::string* out, std::string* err) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string* sinks[2] = {out, err};
  int open = 2;
  char buffer[4096];
  while (open > 0) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof(buffer));
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open;
      }
    }
  }
}

}  // namespace

std::string ExitStatus::describe() const {
  if (signal != 0) {
    const char* name = strsignal(signal);
    return "signal " + std::to_string(signal) + " (" + (name ? name : "?") + ")";
  }
  std::string out = "exit " + std::to_string(code);
  if (code == core::kPreemptedExitCode) out += " (preempted)";
  if (code == core::kUserErrorExitCode) out += " (user error)";
  return out;
}

ExitStatus ExitStatus::from_wait_status(int status) {
  ExitStatus s;
  if (WIFEXITED(status)) s.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) s.signal = WTERMSIG(status);
  return s;
}

pid_t spawn_process(const SpawnOptions& options) {
  CLIPSCALE_CHECK(!options.argv.empty()) << "spawn_process needs a program";
  SpawnSetup setup;
  setup.reset_signals(options.new_process_group);
  posix_spawn_file_actions_addopen(setup.actions(), 0, "/dev/null", O_RDONLY, 0);
  if (!options.output_path.empty()) {
    // Open here rather than in the child, so a bad path is reported with its reason.
    const int fd = ::open(options.output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
      throw core::UserError("cannot open " + options.output_path + " for writing: " + std::strerror(errno) +
                            ". HINT: check that its folder exists and is writable.");
    }
    posix_spawn_file_actions_adddup2(setup.actions(), fd, 1);
    posix_spawn_file_actions_adddup2(setup.actions(), fd, 2);
    try {
      const pid_t pid = setup.spawn(options.argv);
      ::close(fd);
      return pid;
    } catch (...) {
      ::close(fd);
      throw;
    }
  }
  return setup.spawn(options.argv);
}

CommandOutput run_command(const std::vector<std::string>& argv) {
  CLIPSCALE_CHECK(!argv.empty()) << "run_command needs a program";
  int out_pipe[2], err_pipe[2];
  CLIPSCALE_CHECK(::pipe2(out_pipe, O_CLOEXEC) == 0 && ::pipe2(err_pipe, O_CLOEXEC) == 0)
      << "pipe: " << std::strerror(errno);
  SpawnSetup setup;
  setup.reset_signals(false);
  posix_spawn_file_actions_addopen(setup.actions(), 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(setup.actions(), out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(setup.actions(), err_pipe[1], 2);
  pid_t pid = -1;
  try {
    pid = setup.spawn(argv);
  } catch (...) {
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) ::close(fd);
    throw;
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  CommandOutput result;
  drain(out_pipe[0], err_pipe[0], &result.out, &result.err);
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.status = ExitStatus::from_wait_status(status);
  return result;
}

std::optional<std::string> find_program(std::string_view program) {
  const auto executable = [](const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
  };
  if (program.find('/') != std::string_view::npos) {
    const std::string path(program);
    return executable(path) ? std::optional<std::string>(path) : std::nullopt;
  }
  const char* env = std::getenv("PATH");
  const std::string search = env != nullptr ? env : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= search.size()) {
    size_t end = search.find(':', start);
    if (end == std::string::npos) end = search.size();
    const std::string dir = end > start ? search.substr(start, end - start) : ".";
    const std::string candidate = dir + "/" + std::string(program);
    if (executable(candidate)) return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

std::string self_executable() {
  std::error_code ec;
  const auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  CLIPSCALE_CHECK(!ec) << "cannot read /proc/self/exe: " << ec.message();
  return path.string();
}

std::string format_command(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) out += (out.empty() ? "" : " ") + shell_quote(a);
  return out;
}

}  // namespace clipscale::sweep
