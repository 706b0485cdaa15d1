// The value of one config key: its type, its storage and its canonical TOML spelling.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace clipscale::config {

/// The types a config key can have. TOML integers are kInt, TOML floats kFloat, arrays of
/// strings kStringList; dates, nested arrays and tables are not config values.
enum class ValueType { kBool, kInt, kFloat, kString, kStringList };

/// One config value; the alternative's index follows ValueType.
using Value = std::variant<bool, int64_t, double, std::string, std::vector<std::string>>;

/// "bool", "int", "float", "string", "string list" (the words used in error messages).
std::string_view type_name(ValueType type);

/// The type a value holds.
ValueType type_of(const Value& value);

/// Canonical TOML text of a value, the same for equal values however they were written:
///   true · 4000 · 0.001 · 1.0 · 1e-08 · inf · nan · "a \"b\"" · ["x", "y"]
/// Floats use the fewest digits that read back to the same double (round trip), laid out like
/// Python's repr: fixed notation for 1e-4 <= |x| < 1e16 (0.0003, 1.0, 123.25, never 1),
/// scientific otherwise (1e-05, 1.5e+16).
std::string format_value(const Value& value);

/// Canonical TOML float (see format_value).
std::string format_float(double value);

/// Canonical TOML basic string: double quotes, with \" \\ \b \t \n \f \r and \uXXXX escapes.
std::string format_string(std::string_view text);

}  // namespace clipscale::config
