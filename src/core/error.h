// Errors and checks shared by every module.
//
// Two kinds of failure:
//  * UserError  — something the user can fix (a config value, a missing or corrupt file). Its
//                 message is complete (file/key, value, rule, HINT) and the CLI prints it once
//                 and exits with code 2, without a stack trace.
//  * Error      — a broken invariant inside clipscale (exit code 1). Raised by CLIPSCALE_CHECK.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace clipscale::core {

/// A broken invariant or an internal failure. Exit code 1.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A failure the user caused and can fix. The message is shown verbatim; exit code 2.
class UserError : public Error {
 public:
  using Error::Error;
};

/// Exit code the command line uses for UserError.
inline constexpr int kUserErrorExitCode = 2;
/// Exit code of a run that stopped on SIGUSR1/SIGTERM after checkpointing (status "preempted"):
/// EX_TEMPFAIL, "try again". Launchers requeue it; the same command resumes it.
inline constexpr int kPreemptedExitCode = 75;

namespace detail {
/// Collects a streamed message and throws Error from its destructor (end of the full expression).
class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* condition);
  CheckFailure(const CheckFailure&) = delete;
  CheckFailure& operator=(const CheckFailure&) = delete;
  ~CheckFailure() noexcept(false);
  template <typename T>
  CheckFailure& operator<<(const T& value) {
    stream_ << value;
    return *this;
  }

 private:
  std::ostringstream stream_;
};
}  // namespace detail

}  // namespace clipscale::core

/// Throws clipscale::core::Error naming the file, line and condition when `cond` is false:
///   CLIPSCALE_CHECK(x.dim() == 2) << "embeddings must be [B, D], got " << x.sizes();
#define CLIPSCALE_CHECK(cond) \
  if (cond) {                 \
  } else                      \
    ::clipscale::core::detail::CheckFailure(__FILE__, __LINE__, #cond)

#define CLIPSCALE_CHECK_OP_(a, b, op)                                              \
  if ((a)op(b)) {                                                                  \
  } else                                                                           \
    ::clipscale::core::detail::CheckFailure(__FILE__, __LINE__, #a " " #op " " #b) \
        << "(" << (a) << " vs " << (b) << ") "

#define CLIPSCALE_CHECK_EQ(a, b) CLIPSCALE_CHECK_OP_(a, b, ==)
#define CLIPSCALE_CHECK_NE(a, b) CLIPSCALE_CHECK_OP_(a, b, !=)
#define CLIPSCALE_CHECK_LT(a, b) CLIPSCALE_CHECK_OP_(a, b, <)
#define CLIPSCALE_CHECK_LE(a, b) CLIPSCALE_CHECK_OP_(a, b, <=)
#define CLIPSCALE_CHECK_GT(a, b) CLIPSCALE_CHECK_OP_(a, b, >)
#define CLIPSCALE_CHECK_GE(a, b) CLIPSCALE_CHECK_OP_(a, b, >=)
