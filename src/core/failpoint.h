// Failpoints: named places where a test can make this process die or receive a signal, to check
// that a run killed there resumes exactly (issue #5's fault-injection tests and bench script).
//
//   CLIPSCALE_FAILPOINT="<name>:<n>[:<action>]"   action: kill (SIGKILL, default), usr1, term
//
// The n-th time (1-based) this process passes failpoint(<name>), the action happens. Without the
// variable a failpoint costs one branch. Names used: "step" (after backward, before the
// optimizer step), "checkpoint_write" (checkpoint files written, not yet renamed into place),
// "run_file_flush" (after one dataset of a run-file row is flushed, before the next).
#pragma once

#include <string_view>

namespace clipscale::core {

void failpoint(std::string_view name);

}  // namespace clipscale::core
