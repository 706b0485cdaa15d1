#include "sweep/json_values.h"

namespace clipscale::sweep {

nlohmann::json value_json(const config::Value& value) {
  return std::visit([](const auto& v) { return nlohmann::json(v); }, value);
}

nlohmann::json axes_json(const GridPoint& axes) {
  nlohmann::json out = nlohmann::json::object();
  for (const AxisSetting& s : axes) out[s.key] = value_json(s.value);
  return out;
}

}  // namespace clipscale::sweep
