// Puts a module in evaluation mode for a scope and restores its previous mode, also when the
// evaluation throws.
#pragma once

#include <torch/nn/module.h>

namespace clipscale::eval {

class EvalModeGuard {
 public:
  explicit EvalModeGuard(torch::nn::Module& module) : module_(module), was_training_(module.is_training()) {
    module_.eval();
  }
  ~EvalModeGuard() { module_.train(was_training_); }
  EvalModeGuard(const EvalModeGuard&) = delete;
  EvalModeGuard& operator=(const EvalModeGuard&) = delete;

 private:
  torch::nn::Module& module_;
  bool was_training_;
};

}  // namespace clipscale::eval
