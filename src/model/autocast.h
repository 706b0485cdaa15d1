// CPU autocast as an RAII guard (LibTorch 1.13 has none in C++). With bf16 on a CPU with AMX,
// matmuls run through oneDNN's AMX kernels; losses and logits are computed in fp32 by the caller.
#pragma once

#include <string>

namespace clipscale::model {

enum class Precision { kFp32, kBf16 };

/// "fp32" or "bf16"; anything else throws core::UserError naming `key` with a HINT.
Precision parse_precision(const std::string& text, const std::string& key = "train.precision");
std::string precision_name(Precision precision);

/// Enables CPU autocast to bf16 for its lifetime when precision is kBf16; a no-op for kFp32.
/// Nests; the autocast weight cache is cleared when the outermost guard ends.
class AutocastGuard {
 public:
  explicit AutocastGuard(Precision precision);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  bool active_ = false;
  bool previous_enabled_ = false;
};

}  // namespace clipscale::model
