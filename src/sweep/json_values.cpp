#include "sweep/json_values.h"

#include <type_traits>

namespace clipscale::sweep {

nlohmann::json value_json(const config::Value& value) {
  return std::visit(
      [](const auto& v) {
        if constexpr (std::is_same_v<std::decay_t<decltype(v)>, config::ValueList>) {
          nlohmann::json items = nlohmann::json::array();
          for (const config::Value& item : v) items.push_back(value_json(item));
          return items;
        } else {
          return nlohmann::json(v);
        }
      },
      static_cast<const config::Value::variant&>(value));
}

nlohmann::json axes_json(const GridPoint& axes) {
  nlohmann::json out = nlohmann::json::object();
  for (const AxisSetting& s : axes) out[s.key] = value_json(s.value);
  return out;
}

}  // namespace clipscale::sweep
