// The end of a run's log, for status tables and failure messages.
#pragma once

#include <cstddef>
#include <string>

namespace clipscale::sweep {

/// The last `max_lines` non-empty lines of a text file ("" when it can't be read), for failure
/// messages; reads at most the last 64 KiB.
std::string tail_lines(const std::string& path, size_t max_lines);

}  // namespace clipscale::sweep
