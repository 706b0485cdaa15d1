// Child processes without a shell: posix_spawn with an argument vector, so no value is ever
// parsed by a shell. Used to start training runs and to call sbatch, squeue and scontrol.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clipscale::sweep {

/// How a child ended.
struct ExitStatus {
  int code = -1;   ///< exit code; -1 when killed by a signal
  int signal = 0;  ///< the signal that killed it, 0 when it exited

  bool ok() const { return code == 0; }
  /// "exit 0", "exit 75 (preempted)", "exit 2 (user error)", "signal 9 (Killed)".
  std::string describe() const;
  /// From a waitpid status word.
  static ExitStatus from_wait_status(int status);
};

struct SpawnOptions {
  std::vector<std::string> argv;  ///< argv[0] is looked up on PATH when it has no '/'
  /// stdout and stderr are appended to this file ("" = inherited); stdin is /dev/null.
  std::string output_path;
  /// The child leads a new process group, so a terminal's Ctrl-C reaches only this process,
  /// which then stops its children in order.
  bool new_process_group = false;
};

/// Starts a child. Signals this process catches are reset to their defaults in the child.
/// Throws core::UserError naming the program when it can't be started (not found, not
/// executable) or the output file can't be opened.
pid_t spawn_process(const SpawnOptions& options);

struct CommandOutput {
  ExitStatus status;
  std::string out;  ///< stdout
  std::string err;  ///< stderr
};

/// Runs `argv` to completion (stdin /dev/null) and returns its exit status and output. Throws
/// core::UserError when the program can't be started.
CommandOutput run_command(const std::vector<std::string>& argv);

/// The full path of `program` on PATH (or `program` itself when it holds a '/' and is
/// executable); nullopt when there is none.
std::optional<std::string> find_program(std::string_view program);

/// The path of the running executable (/proc/self/exe).
std::string self_executable();

/// "prog arg 'a b'": argv as one shell-quoted line, for logs and messages.
std::string format_command(const std::vector<std::string>& argv);

}  // namespace clipscale::sweep
