#include "model/autocast.h"

#include <ATen/autocast_mode.h>

#include "core/error.h"

namespace clipscale::model {

Precision parse_precision(const std::string& text, const std::string& key) {
  if (text == "fp32") return Precision::kFp32;
  if (text == "bf16") return Precision::kBf16;
  throw core::UserError(key + " = \"" + text +
                        "\" violates one of {\"fp32\", \"bf16\"}. HINT: use \"bf16\" on CPUs with AMX.");
}

std::string precision_name(Precision precision) { return precision == Precision::kBf16 ? "bf16" : "fp32"; }

AutocastGuard::AutocastGuard(Precision precision) {
  if (precision != Precision::kBf16) return;
  active_ = true;
  previous_enabled_ = at::autocast::is_cpu_enabled();
  at::autocast::set_cpu_enabled(true);
  at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
  at::autocast::increment_nesting();
}

AutocastGuard::~AutocastGuard() {
  if (!active_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  at::autocast::set_cpu_enabled(previous_enabled_);
}

}  // namespace clipscale::model
