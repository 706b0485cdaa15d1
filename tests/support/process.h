// Running processes from tests: the clipscale binary, shell commands and snippets for the system
// Python (/usr/bin/python3; the `python3` on PATH may be a pyenv shim without numpy, torch or h5py),
// so tests can check our files against Python's readers and writers.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace clipscale::testing {

inline constexpr const char* kSystemPython = "/usr/bin/python3";

struct CommandResult {
  int exit_code = -1;
  std::string output;  ///< stdout and stderr together
};

/// Runs `command` with the shell, capturing stdout and stderr together.
inline CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.output.append(buffer, n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

/// True when /usr/bin/python3 exists and can import `modules` ("numpy", "h5py, numpy").
inline bool system_python_has(const std::string& modules) {
  return run_command(std::string(kSystemPython) + " -c 'import " + modules + "'").exit_code == 0;
}

/// Writes `script` to `script_path` and runs it with `args` (each single-quoted; none may hold a
/// quote).
inline CommandResult run_system_python(const std::string& script_path, const std::string& script,
                                       const std::vector<std::string>& args) {
  std::ofstream(script_path) << script;
  std::string command = std::string(kSystemPython) + " '" + script_path + "'";
  for (const std::string& arg : args) command += " '" + arg + "'";
  return run_command(command);
}

/// Writes a text file, creating its parent directories.
inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

#ifdef CLIPSCALE_BINARY
/// A command line running the clipscale binary under test with `args`.
inline std::string clipscale(const std::string& args) { return std::string(CLIPSCALE_BINARY) + " " + args; }
#endif

}  // namespace clipscale::testing
