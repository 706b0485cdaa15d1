// A RunResolver for the sweep tests that needs neither LibTorch nor model JSON: a small run-config
// schema, Document::load for the overrides, spec::run_id for the id, and made-up model sizes.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "config/document.h"
#include "spec/run_id.h"
#include "sweep/plan.h"

namespace clipscale::testing {

class FakeResolver : public spec::RunResolver {
 public:
  FakeResolver() {
    schema_.add_string("run.name", "default", "results go to <run.output_dir>/<run.name>/")
        .add_string("run.output_dir", "results", "root folder of all results")
        .add_int("run.seed", 0, "seed", 0.0)
        .add_string("model.config", std::nullopt, "model JSON")
        .add_int("data.data_size", std::nullopt, "D", 1.0)
        .add_string("data.variant", "base", "dataset variant")
        .add_int("train.samples_seen", std::nullopt, "S", 1.0)
        .add_int("train.global_batch_size", 4, "batch", 2.0)
        .add_int("train.threads", 0, "threads", 0.0)
        .add_int("train.log_every_steps", 10, "log", 1.0)
        .add_float("optim.lr", 1e-3, "peak learning rate", 0.0, std::nullopt, true)
        .add_bool("optim.amsgrad", false, "AMSGrad")
        .add_string_list("eval.tasks", std::vector<std::string>{"retrieval"}, "tasks");
  }

  const config::Schema& schema() const override { return schema_; }

  spec::ResolvedRun resolve(const std::string& base, const std::vector<std::string>& overrides) const override {
    ++calls;
    const config::Document doc = config::Document::load(schema_, base, overrides);
    spec::ResolvedRun r;
    const std::string model = doc.get_string("model.config");
    r.model_name = std::filesystem::path(model).stem().string();
    r.run_id = spec::run_id(doc, r.model_name, "{\"model\": \"" + model + "\"}");
    for (const auto& spec : schema_.keys()) r.values.emplace(spec.key, doc.value(spec.key));
    const auto it = params.find(r.model_name);
    r.params_total = it == params.end() ? 100000 : it->second;
    r.params_image = r.params_total / 2;
    r.params_text = r.params_total - r.params_image;
    r.flops_per_sample = 2.0 * static_cast<double>(r.params_total);
    const int64_t batch = doc.get_int("train.global_batch_size");
    r.samples_seen = (doc.get_int("train.samples_seen") + batch - 1) / batch * batch;
    r.data_size = doc.get_int("data.data_size");
    return r;
  }

  /// Parameters by model name (the stem of model.config); 100000 for others.
  std::map<std::string, int64_t> params = {{"small", 100000}, {"large", 400000}};
  mutable int calls = 0;

 private:
  config::Schema schema_;
};

}  // namespace clipscale::testing
