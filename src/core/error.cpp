#include "core/error.h"

#include <exception>

namespace clipscale::core::detail {

CheckFailure::CheckFailure(const char* file, int line, const char* condition) {
  stream_ << "check failed at " << file << ":" << line << ": " << condition << ". ";
}

CheckFailure::~CheckFailure() noexcept(false) {
  // Never throw while another exception is unwinding the stack.
  if (std::uncaught_exceptions() == 0) throw Error(stream_.str());
}

}  // namespace clipscale::core::detail
