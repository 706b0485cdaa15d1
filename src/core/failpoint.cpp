#include "core/failpoint.h"

#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace clipscale::core {
namespace {

struct Armed {
  std::string name;
  int64_t hit = 0;  ///< fire at this pass (1-based); 0: disarmed
  int signal = SIGKILL;
  int64_t passes = 0;
};

Armed parse() {
  Armed armed;
  const char* value = std::getenv("CLIPSCALE_FAILPOINT");
  if (value == nullptr) return armed;
  const std::string text(value);
  const size_t first = text.find(':');
  if (first == std::string::npos) return armed;
  const size_t second = text.find(':', first + 1);
  armed.name = text.substr(0, first);
  armed.hit = std::atoll(text.substr(first + 1, second - first - 1).c_str());
  const std::string action = second == std::string::npos ? "kill" : text.substr(second + 1);
  armed.signal = action == "usr1" ? SIGUSR1 : action == "term" ? SIGTERM : SIGKILL;
  return armed;
}

}  // namespace

void failpoint(std::string_view name) {
  static Armed armed = parse();
  if (armed.hit <= 0 || name != armed.name) return;
  if (++armed.passes == armed.hit) std::raise(armed.signal);
}

}  // namespace clipscale::core
