#include "config/value.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <type_traits>

namespace clipscale::config {

std::string_view type_name(ValueType type) {
  switch (type) {
    case ValueType::kBool: return "bool";
    case ValueType::kInt: return "int";
    case ValueType::kFloat: return "float";
    case ValueType::kString: return "string";
    case ValueType::kStringList: return "string list";
    case ValueType::kList: return "list";
  }
  return "unknown";
}

ValueType type_of(const Value& value) { return static_cast<ValueType>(value.index()); }

std::string format_float(double value) {
  // TOML spells the special values inf, -inf and nan (the sign of a NaN carries no meaning, so
  // every NaN gets one spelling).
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  // The shortest digits that read back to the same double, laid out like Python's repr: fixed
  // notation for 1e-4 <= |x| < 1e16 (0.0003 reads better than 3e-04), scientific otherwise. The
  // text is a function of the double alone, so hashing a resolved config gives a stable run id.
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::scientific);
  const std::string scientific(buffer, result.ptr);  // "-1.2345e+02", "3e-04", "0e+00"
  const size_t e = scientific.find('e');
  const int exponent = std::stoi(scientific.substr(e + 1));
  if (exponent < -4 || exponent >= 16) return scientific;  // "1e-05", "1e+16": valid TOML floats
  const bool negative = scientific.front() == '-';
  std::string digits;
  for (size_t i = negative ? 1 : 0; i < e; ++i) {
    if (scientific[i] != '.') digits += scientific[i];
  }
  std::string text = negative ? "-" : "";
  if (exponent < 0) {
    text += "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
  } else if (digits.size() <= static_cast<size_t>(exponent) + 1) {
    text += digits + std::string(static_cast<size_t>(exponent) + 1 - digits.size(), '0') + ".0";  // 1.0, not 1
  } else {
    text +=
        digits.substr(0, static_cast<size_t>(exponent) + 1) + "." + digits.substr(static_cast<size_t>(exponent) + 1);
  }
  return text;
}

std::string format_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\f': out += "\\f"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char escaped[8];
          std::snprintf(escaped, sizeof(escaped), "\\u%04X", static_cast<unsigned>(c));
          out += escaped;
        } else {
          out += c;  // UTF-8 passes through; TOML files are UTF-8.
        }
    }
  }
  out += '"';
  return out;
}

std::string format_value(const Value& value) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          return v ? "true" : "false";
        } else if constexpr (std::is_same_v<T, int64_t>) {
          return std::to_string(v);
        } else if constexpr (std::is_same_v<T, double>) {
          return format_float(v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return format_string(v);
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          std::string out = "[";
          for (size_t i = 0; i < v.size(); ++i) {
            if (i > 0) out += ", ";
            out += format_string(v[i]);
          }
          return out + "]";
        } else {
          std::string out = "[";
          for (size_t i = 0; i < v.size(); ++i) {
            if (i > 0) out += ", ";
            out += format_value(v[i]);
          }
          return out + "]";
        }
      },
      value);
}

std::optional<Value> convert_value(const Value& value, ValueType type) {
  const ValueType from = type_of(value);
  if (from == type) return value;
  if (type == ValueType::kFloat && from == ValueType::kInt) return Value{static_cast<double>(std::get<int64_t>(value))};
  if (type == ValueType::kList && from == ValueType::kStringList) {
    ValueList items;
    for (const std::string& s : std::get<std::vector<std::string>>(value)) items.emplace_back(s);
    return Value{std::move(items)};
  }
  if (type == ValueType::kStringList && from == ValueType::kList) {
    std::vector<std::string> items;
    for (const Value& item : std::get<ValueList>(value)) {
      const auto* s = std::get_if<std::string>(&item);
      if (s == nullptr) return std::nullopt;
      items.push_back(*s);
    }
    return Value{std::move(items)};
  }
  return std::nullopt;
}

std::optional<ValueList> list_items(const Value& value) {
  if (type_of(value) != ValueType::kList && type_of(value) != ValueType::kStringList) return std::nullopt;
  return std::get<ValueList>(*convert_value(value, ValueType::kList));
}

}  // namespace clipscale::config
