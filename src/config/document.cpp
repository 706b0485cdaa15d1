#include "config/document.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>
#include <utility>

#include <toml++/toml.h>

#include "config/did_you_mean.h"
#include "core/error.h"

namespace clipscale::config {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += separator;
    out += parts[i];
  }
  return out;
}

// Appends " HINT: <hint>." (the period only when the hint does not end a sentence already).
std::string with_hint(std::string line, std::string_view hint) {
  hint = trim(hint);
  if (hint.empty()) return line;
  line += " HINT: ";
  line += hint;
  const char last = hint.back();
  if (last != '.' && last != '?' && last != '!') line += '.';
  return line;
}

// Where a value without a line of its own (a default, a missing key) is reported.
std::string file_or_none(const std::string& path) { return path.empty() ? "(no config file)" : path; }

// --- messages shared by load() and set() ----------------------------------------------------

// An example of a value of the key's type, its default when it has a telling one.
std::string example_value(const KeySpec& spec) {
  if (spec.default_value) {
    const Value& d = *spec.default_value;
    const bool telling = !(std::holds_alternative<std::string>(d) && std::get<std::string>(d).empty()) &&
                         !(std::holds_alternative<std::vector<std::string>>(d) &&
                           std::get<std::vector<std::string>>(d).empty());
    if (telling) return format_value(d);
  }
  switch (spec.type) {
    case ValueType::kBool: return "true";
    case ValueType::kInt: return "1";
    case ValueType::kFloat: return "0.5";
    case ValueType::kString: return format_string(spec.one_of.empty() ? "text" : spec.one_of.front());
    case ValueType::kStringList:
      return format_value(Value{spec.one_of.empty() ? std::vector<std::string>{"a", "b"}
                                                    : std::vector<std::string>{spec.one_of.front()}});
  }
  return "";
}

// "write a float, e.g. optim.lr = 0.001" (file) or "write a float, e.g. --set optim.lr=0.001".
std::string write_hint(const KeySpec& spec, bool as_override) {
  const std::string example = example_value(spec);
  std::string hint = "write ";
  hint += spec.type == ValueType::kInt ? "an " : "a ";
  hint += type_name(spec.type);
  hint += ", e.g. ";
  if (!as_override) return hint + spec.key + " = " + example;
  const std::string set = spec.key + "=" + example;
  // Brackets, quotes and spaces need shell quotes.
  if (set.find_first_of("[]\" ") != std::string::npos) return hint + "--set '" + set + "'";
  return hint + "--set " + set;
}

std::string type_error_line(const std::string& where, const KeySpec& spec, const std::string& found_text,
                            const std::string& found_type, bool as_override) {
  return with_hint(where + ": " + spec.key + " = " + found_text + " has type " + found_type + ", expected " +
                       std::string(type_name(spec.type)) + ".",
                   write_hint(spec, as_override));
}

std::vector<std::string> keys_under(const Schema& schema, std::string_view section) {
  std::vector<std::string> out;
  for (const KeySpec& spec : schema.keys()) {
    const std::string_view key = spec.key;
    if (section.empty() ? key.find('.') == std::string_view::npos
                        : key.size() > section.size() && key.substr(0, section.size()) == section &&
                              key[section.size()] == '.') {
      out.push_back(spec.key);
    }
  }
  return out;
}

std::string unknown_key_hint(const Schema& schema, std::string_view key) {
  if (auto close = closest_key(key, schema.key_names())) return "did you mean '" + *close + "'?";
  if (schema.is_section(key)) {
    return "'" + std::string(key) + "' is a section; its keys are " + join(keys_under(schema, key), ", ");
  }
  const size_t dot = key.rfind('.');
  const std::string_view section = dot == std::string_view::npos ? std::string_view() : key.substr(0, dot);
  if (!section.empty() && schema.is_section(section)) {
    return "known keys in [" + std::string(section) + "] are " + join(keys_under(schema, section), ", ");
  }
  std::vector<std::string> parts;
  std::vector<std::string> sections;
  for (const std::string& s : schema.sections()) {
    if (!s.empty()) sections.push_back("[" + s + "]");
  }
  if (!sections.empty()) parts.push_back("known sections are " + join(sections, ", "));
  const std::vector<std::string> top = keys_under(schema, "");
  if (!top.empty()) parts.push_back("known top-level keys are " + join(top, ", "));
  if (parts.empty()) return "the schema declares no keys";
  return join(parts, "; ");
}

std::string unknown_key_line(const std::string& where, const Schema& schema, std::string_view key) {
  return with_hint(where + ": unknown key '" + std::string(key) + "'.", unknown_key_hint(schema, key));
}

std::string rule_hint(const KeySpec& spec, const Value& value) {
  if (!spec.one_of.empty()) {
    std::vector<std::string> items;
    if (const auto* s = std::get_if<std::string>(&value)) items.push_back(*s);
    if (const auto* list = std::get_if<std::vector<std::string>>(&value)) items = *list;
    for (const std::string& item : items) {
      if (std::find(spec.one_of.begin(), spec.one_of.end(), item) != spec.one_of.end()) continue;
      if (auto close = did_you_mean(item, spec.one_of)) return "did you mean " + format_string(*close) + "?";
      break;
    }
  }
  return spec.doc;
}

std::string rule_line(const std::string& where, std::string_view key, const Value& value, bool is_default,
                      std::string_view rule, std::string_view hint) {
  std::string line = where + ": " + std::string(key) + " = " + format_value(value);
  if (is_default) line += " (default)";
  line += " violates ";
  line += rule;
  line += '.';
  return with_hint(std::move(line), hint);
}

// --- reading TOML ----------------------------------------------------------------------------

bool is_bare_key(std::string_view part) {
  return !part.empty() && std::all_of(part.begin(), part.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

// A quoted TOML key ("a.b" = 1) stays one part: quoting it keeps it from matching "a" + "b".
std::string key_part(std::string_view part) { return is_bare_key(part) ? std::string(part) : format_string(part); }

std::string node_type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::boolean: return "bool";
    case toml::node_type::integer: return "int";
    case toml::node_type::floating_point: return "float";
    case toml::node_type::string: return "string";
    case toml::node_type::date: return "date";
    case toml::node_type::time: return "time";
    case toml::node_type::date_time: return "datetime";
    case toml::node_type::table: return "table";
    case toml::node_type::array: {
      const toml::array& array = *node.as_array();
      if (array.empty()) return "array";
      const toml::node_type first = array[0].type();
      for (const toml::node& item : array) {
        if (item.type() != first) return "mixed array";
      }
      if (first == toml::node_type::string) return "string list";
      return "array of " + node_type_name(array[0]);
    }
    case toml::node_type::none: break;
  }
  return "nothing";
}

// The node as the user would write it, one line.
std::string render_node(const toml::node& node) {
  std::ostringstream out;
  switch (node.type()) {
    case toml::node_type::boolean: return format_value(Value{node.as_boolean()->get()});
    case toml::node_type::integer: return std::to_string(node.as_integer()->get());
    case toml::node_type::floating_point: return format_float(node.as_floating_point()->get());
    case toml::node_type::string: return format_string(node.as_string()->get());
    case toml::node_type::date: out << node.as_date()->get(); return out.str();
    case toml::node_type::time: out << node.as_time()->get(); return out.str();
    case toml::node_type::date_time: out << node.as_date_time()->get(); return out.str();
    case toml::node_type::array: {
      std::vector<std::string> items;
      for (const toml::node& item : *node.as_array()) items.push_back(render_node(item));
      return "[" + join(items, ", ") + "]";
    }
    case toml::node_type::table: {
      std::vector<std::string> items;
      for (auto&& [k, v] : *node.as_table()) items.push_back(key_part(k.str()) + " = " + render_node(v));
      return items.empty() ? "{}" : "{ " + join(items, ", ") + " }";
    }
    case toml::node_type::none: break;
  }
  return "";
}

// The node as a value of `type`, or nullopt when it has another type. Integers are floats too.
std::optional<Value> convert(const toml::node& node, ValueType type) {
  switch (type) {
    case ValueType::kBool:
      if (const auto* v = node.as_boolean()) return Value{v->get()};
      break;
    case ValueType::kInt:
      if (const auto* v = node.as_integer()) return Value{v->get()};
      break;
    case ValueType::kFloat:
      if (const auto* v = node.as_floating_point()) return Value{v->get()};
      if (const auto* v = node.as_integer()) return Value{static_cast<double>(v->get())};
      break;
    case ValueType::kString:
      if (const auto* v = node.as_string()) return Value{v->get()};
      break;
    case ValueType::kStringList:
      if (const auto* array = node.as_array()) {
        std::vector<std::string> items;
        for (const toml::node& item : *array) {
          const auto* s = item.as_string();
          if (s == nullptr) return std::nullopt;
          items.push_back(s->get());
        }
        return Value{std::move(items)};
      }
      break;
  }
  return std::nullopt;
}

struct FileValue {
  std::string key;
  const toml::node* node;
  int line;
  int column;
};

// Flattens nested tables into dotted keys. A table is descended into unless it is itself a
// schema key (then it is a type error there); an empty unknown table is reported as a key.
void flatten(const toml::table& table, const std::string& prefix, const Schema& schema,
             std::vector<FileValue>& out) {
  for (auto&& [k, node] : table) {
    const std::string key = prefix.empty() ? key_part(k.str()) : prefix + "." + key_part(k.str());
    const toml::table* sub = node.as_table();
    if (sub != nullptr && schema.find(key) == nullptr && (schema.is_section(key) || !sub->empty())) {
      flatten(*sub, key, schema, out);
      continue;
    }
    // Report at the key when the value has no position of its own.
    const toml::source_position at = node.source().begin ? node.source().begin : k.source().begin;
    out.push_back({key, &node, static_cast<int>(at.line), static_cast<int>(at.column)});
  }
}

// Reads the whole file, or returns the error line (missing, a directory, unreadable).
std::optional<std::string> read_config_file(const std::string& path, std::string* text) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (!fs::exists(status)) {
    const fs::path cwd = fs::current_path(ec);
    const std::string start = ec ? std::string("the working directory") : cwd.string();
    return with_hint(path + ": config file not found.", "check the path; relative paths start at " + start);
  }
  if (fs::is_directory(status)) {
    return with_hint(path + ": is a directory, expected a TOML config file.", "give the path of the .toml file");
  }
  std::ifstream in(path, std::ios::binary);
  if (in) text->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (!in.is_open() || in.bad()) {
    return with_hint(path + ": cannot read the config file.", "check that it is readable (permissions)");
  }
  return std::nullopt;
}

// Problems are reported sorted: file problems by position, then overrides in order, then missing
// keys; `seq` keeps the order of discovery among equals.
struct Problem {
  int phase;
  int line;
  int column;
  size_t seq;
  std::string text;
};
constexpr int kFilePhase = 0;
constexpr int kOverridePhase = 1;
constexpr int kMissingPhase = 2;

struct Position {
  int phase = kMissingPhase;
  int line = 0;
  int column = 0;
};

}  // namespace

Document::Document(Schema schema, std::string path) : schema_(std::move(schema)), path_(std::move(path)) {}

Document Document::load(const Schema& schema, const std::string& path, const std::vector<std::string>& overrides,
                        const std::vector<std::string>& foreign_sections) {
  Document doc(schema, path);
  std::vector<Problem> problems;
  const auto report = [&problems](Position at, std::string text) {
    problems.push_back({at.phase, at.line, at.column, problems.size(), std::move(text)});
  };
  std::map<std::string, Position, std::less<>> positions;  // of each value set so far
  std::set<std::string, std::less<>> mistyped;              // not also reported as missing
  bool file_unusable = false;                                // then nothing is reported missing

  // 1. The file: every value with its line; unknown keys and wrong types are reported here.
  if (!path.empty()) {
    std::string text;
    if (auto error = read_config_file(path, &text)) {
      report({kFilePhase, 0, 0}, std::move(*error));
      file_unusable = true;
    } else {
      try {
        toml::table table = toml::parse(text, path);
        for (const std::string& section : foreign_sections) table.erase(section);
        std::vector<FileValue> values;
        flatten(table, "", schema, values);
        for (FileValue& fv : values) {
          const Position at{kFilePhase, fv.line, fv.column};
          Source source = Source::from_file(path, fv.line);
          const KeySpec* spec = schema.find(fv.key);
          if (spec == nullptr) {
            report(at, unknown_key_line(source.describe(), schema, fv.key));
            continue;
          }
          std::optional<Value> value = convert(*fv.node, spec->type);
          if (!value) {
            report(at, type_error_line(source.describe(), *spec, render_node(*fv.node), node_type_name(*fv.node),
                                       /*as_override=*/false));
            mistyped.insert(fv.key);
            continue;
          }
          doc.entries_.insert_or_assign(fv.key, Entry{std::move(*value), std::move(source)});
          positions[fv.key] = at;
        }
      } catch (const toml::parse_error& e) {
        const toml::source_position at = e.source().begin;
        std::string description(trim(e.description()));
        while (!description.empty() && description.back() == '.') description.pop_back();
        report({kFilePhase, static_cast<int>(at.line), static_cast<int>(at.column)},
               with_hint(path + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) +
                             ": TOML syntax error: " + description + ".",
                         "fix the TOML at that position; strings need double quotes (key = \"text\"), "
                         "sections are written [name], lists [\"a\", \"b\"]"));
        file_unusable = true;
      }
    }
  }

  // 2. The overrides, in order, each replacing what came before.
  for (size_t i = 0; i < overrides.size(); ++i) {
    const std::string& text = overrides[i];
    const Position at{kOverridePhase, static_cast<int>(i), 0};
    Source source = Source::from_override(text);
    const std::string where = source.describe();
    const size_t eq = text.find('=');
    const std::string key(trim(std::string_view(text).substr(0, eq)));
    if (eq == std::string::npos || key.empty()) {
      // "--set optim.lr" (no value) or "--set =1": show the form, with the key when it is known.
      const KeySpec* spec = schema.find(key);
      std::string hint = "write --set key=value";
      if (spec != nullptr) {
        hint = write_hint(*spec, /*as_override=*/true);
      } else if (!schema.keys().empty()) {
        const std::string example = write_hint(schema.keys().front(), /*as_override=*/true);
        hint += ", e.g. " + example.substr(example.find("--set"));
      }
      report(at, with_hint(where + ": expected key=value.", hint));
      continue;
    }
    const KeySpec* spec = schema.find(key);
    if (spec == nullptr) {
      report(at, unknown_key_line(where, schema, key));
      continue;
    }
    const std::string raw(trim(std::string_view(text).substr(eq + 1)));
    // Read the text as the value of a one-key TOML document; anything else that parses (a second
    // key after a newline) is not one value.
    std::optional<toml::table> parsed;
    try {
      parsed = toml::parse("value = " + raw + "\n", std::string_view("--set"));
    } catch (const toml::parse_error&) {
    }
    const toml::node* node = parsed && parsed->size() == 1 ? parsed->get("value") : nullptr;
    std::optional<Value> value;
    if (spec->type == ValueType::kString) {
      // A string key takes the text verbatim unless it is a quoted TOML string:
      // data.source=synth:shapes and data.source="synth:shapes" mean the same.
      value = node != nullptr && node->is_string() ? Value{node->as_string()->get()} : Value{raw};
    } else if (node == nullptr) {
      report(at, with_hint(where + ": " + key + " = " + raw + " is not " +
                               (spec->type == ValueType::kInt ? "an " : "a ") + std::string(type_name(spec->type)) +
                               ".",
                           write_hint(*spec, /*as_override=*/true)));
      continue;
    } else if (!(value = convert(*node, spec->type))) {
      report(at, type_error_line(where, *spec, render_node(*node), node_type_name(*node), /*as_override=*/true));
      mistyped.insert(key);
      continue;
    }
    doc.entries_.insert_or_assign(key, Entry{std::move(*value), std::move(source)});
    positions[key] = at;
  }

  // 3. Defaults for what is still unset, then the rules on the resolved values.
  for (const KeySpec& spec : schema.keys()) {
    const auto it = doc.entries_.find(spec.key);
    if (it == doc.entries_.end()) {
      if (spec.default_value) {
        doc.entries_.emplace(spec.key, Entry{*spec.default_value, Source::from_default()});
      } else if (mistyped.count(spec.key) == 0 && !file_unusable) {
        report({kMissingPhase, 0, 0}, with_hint(file_or_none(path) + ": missing required key '" + spec.key + "'.",
                                                spec.doc));
      }
      continue;
    }
    const Entry& entry = it->second;
    if (!spec.satisfied_by(entry.value)) {
      report(positions[spec.key], rule_line(doc.where(entry.source), spec.key, entry.value, false, spec.rule(),
                                            rule_hint(spec, entry.value)));
    }
  }

  if (!problems.empty()) {
    std::stable_sort(problems.begin(), problems.end(), [](const Problem& a, const Problem& b) {
      return std::tie(a.phase, a.line, a.column, a.seq) < std::tie(b.phase, b.line, b.column, b.seq);
    });
    std::vector<std::string> lines;
    for (Problem& p : problems) lines.push_back(std::move(p.text));
    throw core::UserError(join(lines, "\n"));
  }
  return doc;
}

const Document::Entry& Document::entry(std::string_view key) const {
  const auto it = entries_.find(key);
  CLIPSCALE_CHECK(it != entries_.end()) << "config key '" << key << "' is not in the schema";
  return it->second;
}

bool Document::get_bool(std::string_view key) const {
  const Value& v = entry(key).value;
  CLIPSCALE_CHECK(std::holds_alternative<bool>(v)) << "config key '" << key << "' is a " << type_name(type_of(v));
  return std::get<bool>(v);
}

int64_t Document::get_int(std::string_view key) const {
  const Value& v = entry(key).value;
  CLIPSCALE_CHECK(std::holds_alternative<int64_t>(v)) << "config key '" << key << "' is a " << type_name(type_of(v));
  return std::get<int64_t>(v);
}

double Document::get_float(std::string_view key) const {
  const Value& v = entry(key).value;
  if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  CLIPSCALE_CHECK(std::holds_alternative<double>(v)) << "config key '" << key << "' is a " << type_name(type_of(v));
  return std::get<double>(v);
}

const std::string& Document::get_string(std::string_view key) const {
  const Value& v = entry(key).value;
  CLIPSCALE_CHECK(std::holds_alternative<std::string>(v))
      << "config key '" << key << "' is a " << type_name(type_of(v));
  return std::get<std::string>(v);
}

const std::vector<std::string>& Document::get_string_list(std::string_view key) const {
  const Value& v = entry(key).value;
  CLIPSCALE_CHECK(std::holds_alternative<std::vector<std::string>>(v))
      << "config key '" << key << "' is a " << type_name(type_of(v));
  return std::get<std::vector<std::string>>(v);
}

const Value& Document::value(std::string_view key) const { return entry(key).value; }

const Source& Document::source(std::string_view key) const { return entry(key).source; }

void Document::set(std::string_view key, Value value, Source source) {
  const std::string at = where(source);
  const KeySpec* spec = schema_.find(key);
  if (spec == nullptr) throw core::UserError(unknown_key_line(at, schema_, key));
  if (spec->type == ValueType::kFloat && std::holds_alternative<int64_t>(value)) {
    value = static_cast<double>(std::get<int64_t>(value));
  }
  if (type_of(value) != spec->type) {
    throw core::UserError(type_error_line(at, *spec, format_value(value), std::string(type_name(type_of(value))),
                                          source.kind == Source::Kind::kOverride));
  }
  if (!spec->satisfied_by(value)) {
    throw core::UserError(rule_line(at, spec->key, value, source.kind == Source::Kind::kDefault, spec->rule(),
                                    rule_hint(*spec, value)));
  }
  entries_.insert_or_assign(spec->key, Entry{std::move(value), std::move(source)});
}

std::string Document::to_toml(bool with_provenance) const {
  std::string out;
  for (const std::string& section : schema_.sections()) {
    if (!section.empty()) {
      if (!out.empty()) out += '\n';
      out += "[" + section + "]\n";
    }
    for (const KeySpec& spec : schema_.keys()) {
      if (spec.section() != section) continue;
      const Entry& e = entry(spec.key);
      out += section.empty() ? spec.key : spec.key.substr(section.size() + 1);
      out += " = ";
      out += format_value(e.value);
      if (with_provenance) out += "  # " + e.source.describe();
      out += '\n';
    }
  }
  return out;
}

std::string Document::violation(std::string_view key, std::string_view rule, std::string_view hint) const {
  const Entry& e = entry(key);
  return rule_line(where(e.source), key, e.value, e.source.kind == Source::Kind::kDefault, rule, hint);
}

std::string Document::where(const Source& source) const {
  return source.kind == Source::Kind::kDefault ? file_or_none(path_) : source.describe();
}

}  // namespace clipscale::config
