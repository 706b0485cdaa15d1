// The sweep module's RunResolver (sweep/plan.h) over the run-config schema: a sweep's run is
// resolved exactly as `clipscale train BASE --set ...` resolves it, so the planned id is the id
// training records.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "model/flops.h"
#include "model/model_config.h"
#include "sweep/plan.h"

namespace clipscale::cli {

class RunConfigResolver final : public sweep::RunResolver {
 public:
  const config::Schema& schema() const override;
  /// load_run_config + the run id, parameter and FLOP counts; each model JSON is parsed once.
  sweep::ResolvedRun resolve(const std::string& base_config, const std::vector<std::string>& overrides) const override;

 private:
  struct Model {
    model::ClipConfig config;
    std::string json;
    model::ShapeParameterCount params;
    model::FlopCount flops;
  };
  const Model& model(const std::string& path) const;

  mutable std::map<std::string, Model> models_;  // by model.config path
};

}  // namespace clipscale::cli
