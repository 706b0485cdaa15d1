// The value of one config key: its type, its storage and its canonical TOML spelling.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace clipscale::config {

/// The types a config key can have. TOML integers are kInt, TOML floats kFloat, arrays of
/// strings kStringList, any other array kList (numbers, bools, nested lists); dates and tables
/// are not config values (a table is a section, or an open table: Schema::add_table).
enum class ValueType { kBool, kInt, kFloat, kString, kStringList, kList };

struct Value;
/// The items of a kList value.
using ValueList = std::vector<Value>;

/// One config value; the alternative's index follows ValueType. A struct rather than an alias so
/// that a list can hold values (std::get, std::visit and == work as on the variant).
struct Value : std::variant<bool, int64_t, double, std::string, std::vector<std::string>, ValueList> {
  using variant::variant;
};

/// "bool", "int", "float", "string", "string list", "list" (the words used in error messages).
std::string_view type_name(ValueType type);

/// The type a value holds.
ValueType type_of(const Value& value);

/// Canonical TOML text of a value, the same for equal values however they were written:
///   true · 4000 · 0.001 · 1.0 · 1e-08 · inf · nan · "a \"b\"" · ["x", "y"] · [1, 2.5, ["a"]]
/// Floats use the fewest digits that read back to the same double (round trip), laid out like
/// Python's repr: fixed notation for 1e-4 <= |x| < 1e16 (0.0003, 1.0, 123.25, never 1),
/// scientific otherwise (1e-05, 1.5e+16).
std::string format_value(const Value& value);

/// `value` as a value of `type`, or nullopt when it is not one: an int is also a float; a kList
/// whose items are all strings (or that is empty) is also a kStringList, and a kStringList is also a
/// kList. Other values convert only to their own type.
std::optional<Value> convert_value(const Value& value, ValueType type);

/// The items of a list value (kList or kStringList); nullopt for a scalar.
std::optional<ValueList> list_items(const Value& value);

/// Canonical TOML float (see format_value).
std::string format_float(double value);

/// Canonical TOML basic string: double quotes, with \" \\ \b \t \n \f \r and \uXXXX escapes.
std::string format_string(std::string_view text);

}  // namespace clipscale::config
