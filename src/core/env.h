// Reading the process environment (launcher variables, overrides).
#pragma once

#include <optional>
#include <string>

namespace clipscale::core {

/// The variable's value, or nullopt when unset or empty.
std::optional<std::string> env_string(const char* name);

/// The variable parsed as an integer; nullopt when unset. A value that is not an integer
/// throws UserError naming the variable.
std::optional<long long> env_int(const char* name);

/// Cores this process may run on (its CPU affinity mask; at least 1).
int available_cores();

/// The git commit this binary was built from (12 hex digits, or "unknown").
const char* build_git_sha();

/// clipscale's version string.
const char* build_version();

}  // namespace clipscale::core
