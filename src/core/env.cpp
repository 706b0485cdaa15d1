#include "core/env.h"

#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "core/build_info.h"
#include "core/error.h"

namespace clipscale::core {

std::optional<std::string> env_string(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

std::optional<long long> env_int(const char* name) {
  auto text = env_string(name);
  if (!text) return std::nullopt;
  size_t used = 0;
  long long value = 0;
  try {
    value = std::stoll(*text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text->size())
    throw UserError(std::string("environment variable ") + name + "=" + *text +
                    " is not an integer. HINT: unset it or give a whole number.");
  return value;
}

int available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
  return 1;
}

const char* build_git_sha() { return kBuildGitSha; }
const char* build_version() { return kBuildVersion; }

}  // namespace clipscale::core
