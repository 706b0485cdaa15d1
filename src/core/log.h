// Rank-aware logging on spdlog's default logger: rank 0 logs at the configured level, every other
// rank only warns and errors, and every line from a rank > 0 carries "[rank r@host]".
#pragma once

#include <string>

namespace clipscale::core {

/// Configures the default spdlog logger for this process. `level` is spdlog's name
/// ("trace", "debug", "info", "warn", "error"); ranks other than 0 are raised to at least "warn".
void init_logging(int rank, int world_size, const std::string& level = "info");

/// Re-configures logging for this process's place in a distributed job once it is known, keeping
/// the level already configured (rank 0) or raising it to "warn" (other ranks).
void set_logging_rank(int rank, int world_size);

/// Host name of this machine (for distributed error messages).
std::string host_name();

}  // namespace clipscale::core
