#include "cli/run_resolver.h"

#include "cli/run_config.h"
#include "sweep/run_id.h"

namespace clipscale::cli {

const config::Schema& RunConfigResolver::schema() const { return run_config_schema(); }

const RunConfigResolver::Model& RunConfigResolver::model(const std::string& path) const {
  auto it = models_.find(path);
  if (it == models_.end()) {
    Model m;
    m.config = model::ClipConfig::from_file(path);
    m.json = m.config.to_json();
    m.params = model::parameters_from_shape(m.config);
    m.flops = model::forward_flops_per_sample(m.config);
    it = models_.emplace(path, std::move(m)).first;
  }
  return it->second;
}

sweep::ResolvedRun RunConfigResolver::resolve(const std::string& base_config,
                                              const std::vector<std::string>& overrides) const {
  const config::Document doc = load_run_config(base_config, overrides);
  const Model& m = model(doc.get_string("model.config"));
  sweep::ResolvedRun r;
  r.run_id = sweep::run_id(doc, m.config.name, m.json);
  r.model_name = m.config.name;
  for (const config::KeySpec& spec : doc.schema().keys()) r.values.emplace(spec.key, doc.value(spec.key));
  r.params_image = m.params.image;
  r.params_text = m.params.text;
  r.params_total = m.params.total;
  r.flops_per_sample = m.flops.total();
  const int64_t batch = doc.get_int("train.global_batch_size");
  r.samples_seen = (doc.get_int("train.samples_seen") + batch - 1) / batch * batch;
  r.data_size = doc.get_int("data.data_size");
  return r;
}

}  // namespace clipscale::cli
