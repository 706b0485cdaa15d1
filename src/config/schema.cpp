#include "config/schema.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <utility>

#include "core/error.h"

namespace clipscale::config {
namespace {

// Bounds read best as the user wrote them: 1, 0, 0.5, 1e-08.
std::string format_bound(double bound) {
  if (std::nearbyint(bound) == bound && std::fabs(bound) < 1e15) {
    return std::to_string(static_cast<long long>(bound));
  }
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), bound);
  return std::string(buffer, result.ptr);
}

std::string format_options(const std::vector<std::string>& options) { return format_value(Value{options}); }

bool is_bare_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// Every dotted part must be a non-empty bare TOML key, so that to_toml can write the key as is.
bool is_valid_key(std::string_view key) {
  if (key.empty() || key.front() == '.' || key.back() == '.') return false;
  for (size_t i = 0; i < key.size(); ++i) {
    if (key[i] == '.') {
      if (key[i + 1] == '.') return false;
    } else if (!is_bare_key_char(key[i])) {
      return false;
    }
  }
  return true;
}

bool in_bounds(const KeySpec& spec, double x) {
  if (spec.min && !(spec.min_exclusive ? x > *spec.min : x >= *spec.min)) return false;
  if (spec.max && !(spec.max_exclusive ? x < *spec.max : x <= *spec.max)) return false;
  return true;
}

bool is_one_of(const KeySpec& spec, const std::string& x) {
  return spec.one_of.empty() || std::find(spec.one_of.begin(), spec.one_of.end(), x) != spec.one_of.end();
}

}  // namespace

std::string_view KeySpec::section() const {
  const size_t dot = key.rfind('.');
  return dot == std::string::npos ? std::string_view() : std::string_view(key).substr(0, dot);
}

std::string KeySpec::rule() const {
  if (type == ValueType::kList && (min || max)) {
    KeySpec item = *this;
    item.type = element_type.value_or(ValueType::kFloat);
    item.key = "each " + key + " item";
    return item.rule();
  }
  if (min && max) {
    return format_bound(*min) + (min_exclusive ? " < " : " <= ") + key + (max_exclusive ? " < " : " <= ") +
           format_bound(*max);
  }
  if (min) return key + (min_exclusive ? " > " : " >= ") + format_bound(*min);
  if (max) return key + (max_exclusive ? " < " : " <= ") + format_bound(*max);
  if (!one_of.empty()) {
    return (type == ValueType::kStringList || type == ValueType::kList ? "each " + key + " item" : key) + " in " +
           format_options(one_of);
  }
  if (type == ValueType::kList && element_type)
    return "each " + key + " item is a " + std::string(type_name(*element_type));
  return "";
}

bool KeySpec::satisfied_by(const Value& value) const {
  CLIPSCALE_CHECK(type_of(value) == type)
      << key << " holds a " << type_name(type_of(value)) << ", expected " << type_name(type);
  switch (type) {
    case ValueType::kInt: return in_bounds(*this, static_cast<double>(std::get<int64_t>(value)));
    case ValueType::kFloat: return in_bounds(*this, std::get<double>(value));
    case ValueType::kString: return is_one_of(*this, std::get<std::string>(value));
    case ValueType::kStringList: {
      const auto& items = std::get<std::vector<std::string>>(value);
      return std::all_of(items.begin(), items.end(), [this](const std::string& s) { return is_one_of(*this, s); });
    }
    case ValueType::kList: {
      for (const Value& item : std::get<ValueList>(value)) {
        if (element_type && type_of(item) != *element_type) return false;
        if (const auto* i = std::get_if<int64_t>(&item); i && !in_bounds(*this, static_cast<double>(*i))) return false;
        if (const auto* d = std::get_if<double>(&item); d && !in_bounds(*this, *d)) return false;
        if (const auto* t = std::get_if<std::string>(&item); t && !is_one_of(*this, *t)) return false;
      }
      return true;
    }
    case ValueType::kBool: return true;
  }
  return true;
}

Schema& Schema::add(KeySpec spec) {
  const std::string& key = spec.key;
  CLIPSCALE_CHECK(is_valid_key(key)) << "schema key '" << key
                                     << "' must be dotted bare TOML keys (letters, digits, _ and -)";
  CLIPSCALE_CHECK(index_.count(key) == 0) << "schema key '" << key << "' is declared twice";
  CLIPSCALE_CHECK(prefixes_.count(key) == 0) << "schema key '" << key << "' is also a section of other keys";
  for (size_t dot = key.find('.'); dot != std::string::npos; dot = key.find('.', dot + 1)) {
    CLIPSCALE_CHECK(index_.count(key.substr(0, dot)) == 0)
        << "schema key '" << key << "' lies inside key '" << key.substr(0, dot) << "'";
  }
  CLIPSCALE_CHECK(!spec.doc.empty()) << "schema key '" << key << "' needs a doc line (it is the error HINT)";
  const bool numeric = spec.type == ValueType::kInt || spec.type == ValueType::kFloat || spec.type == ValueType::kList;
  const bool textual =
      spec.type == ValueType::kString || spec.type == ValueType::kStringList || spec.type == ValueType::kList;
  CLIPSCALE_CHECK(!is_table(key.substr(0, key.find('.')))) << "schema key '" << key << "' lies inside an open table";
  CLIPSCALE_CHECK(spec.type == ValueType::kList || !spec.element_type)
      << "schema key '" << key << "': element_type needs a list type";
  CLIPSCALE_CHECK(numeric || (!spec.min && !spec.max)) << "schema key '" << key << "': bounds need a number type";
  CLIPSCALE_CHECK(textual || spec.one_of.empty()) << "schema key '" << key << "': one_of needs a string type";
  CLIPSCALE_CHECK(!(spec.min && spec.max) || *spec.min <= *spec.max)
      << "schema key '" << key << "': min " << *spec.min << " > max " << *spec.max;
  if (spec.default_value) {
    // An integer default of a float key is written naturally as 1 rather than 1.0.
    if (spec.type == ValueType::kFloat && std::holds_alternative<int64_t>(*spec.default_value)) {
      spec.default_value = Value{static_cast<double>(std::get<int64_t>(*spec.default_value))};
    }
    if (spec.type == ValueType::kList && spec.element_type == ValueType::kFloat) {
      for (Value& item : std::get<ValueList>(*spec.default_value))
        if (const auto* i = std::get_if<int64_t>(&item)) item = Value{static_cast<double>(*i)};
    }
    CLIPSCALE_CHECK(type_of(*spec.default_value) == spec.type)
        << "schema key '" << key << "': default is a " << type_name(type_of(*spec.default_value)) << ", expected "
        << type_name(spec.type);
    CLIPSCALE_CHECK(spec.satisfied_by(*spec.default_value))
        << "schema key '" << key << "': default " << format_value(*spec.default_value) << " breaks " << spec.rule();
  }

  for (size_t dot = key.find('.'); dot != std::string::npos; dot = key.find('.', dot + 1)) {
    prefixes_.insert(key.substr(0, dot));
  }
  index_.emplace(key, keys_.size());
  keys_.push_back(std::move(spec));
  return *this;
}

Schema& Schema::add_bool(std::string key, std::optional<bool> default_value, std::string doc) {
  KeySpec spec;
  spec.key = std::move(key);
  spec.type = ValueType::kBool;
  if (default_value) spec.default_value = Value{*default_value};
  spec.doc = std::move(doc);
  return add(std::move(spec));
}

Schema& Schema::add_int(std::string key, std::optional<int64_t> default_value, std::string doc,
                        std::optional<double> min, std::optional<double> max) {
  KeySpec spec;
  spec.key = std::move(key);
  spec.type = ValueType::kInt;
  if (default_value) spec.default_value = Value{*default_value};
  spec.doc = std::move(doc);
  spec.min = min;
  spec.max = max;
  return add(std::move(spec));
}

Schema& Schema::add_float(std::string key, std::optional<double> default_value, std::string doc,
                          std::optional<double> min, std::optional<double> max, bool min_exclusive) {
  KeySpec spec;
  spec.key = std::move(key);
  spec.type = ValueType::kFloat;
  if (default_value) spec.default_value = Value{*default_value};
  spec.doc = std::move(doc);
  spec.min = min;
  spec.max = max;
  spec.min_exclusive = min_exclusive;
  return add(std::move(spec));
}

Schema& Schema::add_string(std::string key, std::optional<std::string> default_value, std::string doc,
                           std::vector<std::string> one_of) {
  KeySpec spec;
  spec.key = std::move(key);
  spec.type = ValueType::kString;
  if (default_value) spec.default_value = Value{std::move(*default_value)};
  spec.doc = std::move(doc);
  spec.one_of = std::move(one_of);
  return add(std::move(spec));
}

Schema& Schema::add_string_list(std::string key, std::optional<std::vector<std::string>> default_value, std::string doc,
                                std::vector<std::string> one_of) {
  KeySpec spec;
  spec.key = std::move(key);
  spec.type = ValueType::kStringList;
  if (default_value) spec.default_value = Value{std::move(*default_value)};
  spec.doc = std::move(doc);
  spec.one_of = std::move(one_of);
  return add(std::move(spec));
}

Schema& Schema::add_list(std::string key, ValueType element_type, std::optional<ValueList> default_value,
                         std::string doc, std::optional<double> min, std::optional<double> max) {
  CLIPSCALE_CHECK(element_type != ValueType::kList && element_type != ValueType::kStringList)
      << "schema key '" << key << "': a list of lists is not a config key";
  KeySpec spec;
  spec.key = std::move(key);
  spec.type = ValueType::kList;
  spec.element_type = element_type;
  if (default_value) spec.default_value = Value{std::move(*default_value)};
  spec.doc = std::move(doc);
  spec.min = min;
  spec.max = max;
  return add(std::move(spec));
}

Schema& Schema::add_table(std::string name, std::string doc) {
  CLIPSCALE_CHECK(is_valid_key(name) && name.find('.') == std::string::npos)
      << "open table '" << name << "' must be one bare TOML key";
  CLIPSCALE_CHECK(!is_table(name) && !is_section(name) && index_.count(name) == 0)
      << "open table '" << name << "' is declared twice or is also a section or key";
  CLIPSCALE_CHECK(!doc.empty()) << "open table '" << name << "' needs a doc line (it is the error HINT)";
  tables_.emplace_back(std::move(name), std::move(doc));
  return *this;
}

Schema& Schema::close_sections() {
  sections_closed_ = true;
  return *this;
}

bool Schema::is_table(std::string_view name) const {
  for (const auto& [table, doc] : tables_)
    if (table == name) return true;
  return false;
}

const KeySpec* Schema::find(std::string_view key) const {
  const auto it = index_.find(key);
  return it == index_.end() ? nullptr : &keys_[it->second];
}

std::vector<std::string> Schema::key_names() const {
  std::vector<std::string> names;
  names.reserve(keys_.size());
  for (const KeySpec& spec : keys_) names.push_back(spec.key);
  return names;
}

std::vector<std::string> Schema::sections() const {
  std::vector<std::string> out;
  bool has_top_level = false;
  for (const KeySpec& spec : keys_) {
    const std::string section(spec.section());
    if (section.empty()) {
      has_top_level = true;
    } else if (std::find(out.begin(), out.end(), section) == out.end()) {
      out.push_back(section);
    }
  }
  if (has_top_level) out.insert(out.begin(), "");
  return out;
}

bool Schema::is_section(std::string_view name) const { return prefixes_.find(name) != prefixes_.end(); }

}  // namespace clipscale::config
