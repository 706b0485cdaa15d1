#include "core/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

namespace clipscale::core {

std::string host_name() {
  char buffer[256] = {};
  if (gethostname(buffer, sizeof(buffer) - 1) != 0) return "unknown-host";
  return buffer;
}

void init_logging(int rank, int world_size, const std::string& level) {
  auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("clipscale", std::move(sink)));
  if (world_size > 1) {
    spdlog::set_pattern("%H:%M:%S %^%l%$ [rank " + std::to_string(rank) + "@" + host_name() + "] %v");
  } else {
    spdlog::set_pattern("%H:%M:%S %^%l%$ %v");
  }
  auto parsed = spdlog::level::from_str(level);
  if (rank != 0) parsed = std::max(parsed, spdlog::level::warn);
  spdlog::set_level(parsed);
}

void set_logging_rank(int rank, int world_size) {
  const auto name = spdlog::level::to_string_view(spdlog::get_level());
  init_logging(rank, world_size, std::string(name.data(), name.size()));
}

}  // namespace clipscale::core
