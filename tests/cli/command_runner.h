// Runs the clipscale binary (or any shell command) from a test and captures its output.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace clipscale::testing {

struct CommandResult {
  int exit_code = -1;
  std::string output;  ///< stdout and stderr together
};

inline CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) result.output.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

inline std::string clipscale(const std::string& args) { return std::string(CLIPSCALE_BINARY) + " " + args; }

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

/// True when Debian's python3 with torch and h5py is present (not the pyenv shim on PATH).
inline bool have_system_python(const std::string& modules) {
  return run_command("/usr/bin/python3 -c 'import " + modules + "'").exit_code == 0;
}

}  // namespace clipscale::testing
