// Runs snippets with the system Python (/usr/bin/python3; the `python3` on PATH may be a pyenv shim
// without numpy or h5py), so tests can check our files against Python's readers and writers.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace clipscale::io::testing {

inline constexpr const char* kSystemPython = "/usr/bin/python3";

/// True when /usr/bin/python3 exists and can import `modules` ("numpy", "h5py, numpy").
inline bool system_python_has(const std::string& modules) {
  const std::string command = std::string(kSystemPython) + " -c 'import " + modules + "' >/dev/null 2>&1";
  return std::system(command.c_str()) == 0;
}

struct PythonResult {
  int exit_code = -1;
  std::string output;  ///< stdout and stderr together
};

/// Writes `script` to `script_path` and runs it with `args` (each single-quoted; none may hold a
/// quote).
inline PythonResult run_system_python(const std::string& script_path, const std::string& script,
                                      const std::vector<std::string>& args) {
  std::ofstream(script_path) << script;
  std::string command = std::string(kSystemPython) + " '" + script_path + "'";
  for (const std::string& arg : args) command += " '" + arg + "'";
  command += " 2>&1";
  PythonResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.output.append(buffer, n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace clipscale::io::testing
