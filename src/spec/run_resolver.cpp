#include "spec/run_resolver.h"

#include "config/document.h"
#include "spec/run_config.h"
#include "spec/run_id.h"

namespace clipscale::spec {

const config::Schema& RunConfigResolver::schema() const { return run_config_schema(); }

const RunConfigResolver::Model& RunConfigResolver::model(const std::string& path) const {
  auto it = models_.find(path);
  if (it == models_.end()) {
    Model m;
    m.config = ClipConfig::from_file(path);
    m.json = m.config.to_json();
    it = models_.emplace(path, std::move(m)).first;
  }
  return it->second;
}

ResolvedRun RunConfigResolver::resolve(const std::string& base_config,
                                       const std::vector<std::string>& overrides) const {
  const config::Document doc = load_run_config(base_config, overrides);
  const Model& m = model(doc.get_string("model.config"));
  const RunBudget budget = budget_of(bind_run_config(doc), m.config);
  ResolvedRun r;
  r.run_id = run_id(doc, m.config.name, m.json);
  r.model_name = m.config.name;
  for (const config::KeySpec& spec : doc.schema().keys()) r.values.emplace(spec.key, doc.value(spec.key));
  r.params_image = budget.params.image;
  r.params_text = budget.params.text;
  r.params_total = budget.params.total;
  r.flops_per_sample = budget.flops.total();
  r.samples_seen = budget.samples_target;
  r.data_size = budget.data_size;
  return r;
}

}  // namespace clipscale::spec
