// A run config resolved as `clipscale train BASE --set ...` resolves it, with its id and budget,
// for sweep plans (src/sweep) — torch-free, so sweeps are planned on a login node.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config/schema.h"
#include "config/value.h"
#include "spec/budget.h"
#include "spec/model_config.h"

namespace clipscale::spec {

/// A run config resolved the way `clipscale train BASE --set ...` resolves it.
struct ResolvedRun {
  std::string run_id;      ///< run_id() of the resolved config
  std::string model_name;  ///< the model JSON's stem
  /// Every key of the resolved config with its value.
  std::map<std::string, config::Value> values;
  int64_t params_image = 0;
  int64_t params_text = 0;
  int64_t params_total = 0;
  double flops_per_sample = 0;  ///< forward FLOPs per image-text pair, both towers
  int64_t samples_seen = 0;     ///< train.samples_seen rounded up to whole global batches
  int64_t data_size = 0;

  /// Training compute C = 3 × flops_per_sample × samples_seen.
  double compute() const { return training_flops(flops_per_sample, static_cast<double>(samples_seen)); }
};

/// Resolves run configs. RunConfigResolver is the real one; sweep tests use fakes.
class RunResolver {
 public:
  virtual ~RunResolver() = default;
  /// The run-config schema: axis values and filter names are checked against it.
  virtual const config::Schema& schema() const = 0;
  /// Resolves `base_config` with `overrides` ("key=value", as --set takes them), checking every
  /// rule `clipscale train` checks. Throws core::UserError listing the problems.
  virtual ResolvedRun resolve(const std::string& base_config, const std::vector<std::string>& overrides) const = 0;
};

/// The resolver over run_config_schema() and load_run_config(); each model JSON is read once.
class RunConfigResolver final : public RunResolver {
 public:
  const config::Schema& schema() const override;
  ResolvedRun resolve(const std::string& base_config, const std::vector<std::string>& overrides) const override;

 private:
  struct Model {
    ClipConfig config;
    std::string json;
  };
  const Model& model(const std::string& path) const;

  mutable std::map<std::string, Model> models_;  // by model.config path
};

}  // namespace clipscale::spec
