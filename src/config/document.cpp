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
    const bool telling =
        !(std::holds_alternative<std::string>(d) && std::get<std::string>(d).empty()) &&
        !(std::holds_alternative<std::vector<std::string>>(d) && std::get<std::vector<std::string>>(d).empty()) &&
        !(std::holds_alternative<ValueList>(d) && std::get<ValueList>(d).empty());
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
    case ValueType::kList: return spec.element_type == ValueType::kString ? "[\"a\", \"b\"]" : "[1, 2]";
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
    if (section.empty()
            ? key.find('.') == std::string_view::npos
            : key.size() > section.size() && key.substr(0, section.size()) == section && key[section.size()] == '.') {
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

std::optional<Value> natural_value(const toml::node& node, std::vector<int>* item_lines);

// The node as a value of `type`, or nullopt when it has another type. Integers are floats too.
std::optional<Value> convert(const toml::node& node, ValueType type, std::optional<ValueType> element_type = {}) {
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
    case ValueType::kList:
      if (const auto* array = node.as_array()) {
        ValueList items;
        for (const toml::node& item : *array) {
          std::optional<Value> value =
              element_type ? convert(item, *element_type) : natural_value(item, /*item_lines=*/nullptr);
          if (!value) return std::nullopt;
          items.push_back(std::move(*value));
        }
        return Value{std::move(items)};
      }
      break;
  }
  return std::nullopt;
}

// The node with the type it has in TOML (an array of strings is a string list, any other array a
// list); nullopt for dates, times and tables, which are not config values.
std::optional<Value> natural_value(const toml::node& node, std::vector<int>* item_lines) {
  if (const toml::array* array = node.as_array()) {
    if (item_lines != nullptr)
      for (const toml::node& item : *array) item_lines->push_back(static_cast<int>(item.source().begin.line));
    const bool all_strings = !array->empty() && std::all_of(array->begin(), array->end(),
                                                            [](const toml::node& item) { return item.is_string(); });
    return convert(node, all_strings ? ValueType::kStringList : ValueType::kList);
  }
  for (const ValueType type : {ValueType::kBool, ValueType::kInt, ValueType::kFloat, ValueType::kString})
    if (auto value = convert(node, type)) return value;
  return std::nullopt;
}

// The zero value of a type, held by a key that has no usable value in a lenient load.
Value zero_value(ValueType type) {
  switch (type) {
    case ValueType::kBool: return Value{false};
    case ValueType::kInt: return Value{int64_t{0}};
    case ValueType::kFloat: return Value{0.0};
    case ValueType::kString: return Value{std::string()};
    case ValueType::kStringList: return Value{std::vector<std::string>{}};
    case ValueType::kList: return Value{ValueList{}};
  }
  return Value{false};
}

std::vector<int> item_lines_of(const toml::node& node) {
  std::vector<int> lines;
  if (const toml::array* array = node.as_array())
    for (const toml::node& item : *array) lines.push_back(static_cast<int>(item.source().begin.line));
  return lines;
}

struct FileValue {
  std::string key;
  const toml::node* node;
  int line;
  int column;
  int key_line;       // the line of the key itself
  std::string table;  // the open table the key is in ("" for schema keys)
};

// Flattens nested tables into dotted keys. A table is descended into unless it is itself a
// schema key (then it is a type error there); an empty unknown table is reported as a key. Below
// an open table every nested table is descended into and every leaf is kept, with the table's
// name.
void flatten(const toml::table& table, const std::string& prefix, const std::string& open_table, const Schema& schema,
             std::vector<FileValue>& out) {
  for (auto&& [k, node] : table) {
    // Below an open table a quoted key is a dotted path like any other ("train.samples_seen" = [...]
    // in [axes] names the key train.samples_seen).
    const std::string part = open_table.empty() ? key_part(k.str()) : std::string(k.str());
    const std::string key = prefix.empty() ? part : prefix + "." + part;
    const std::string in_table = prefix.empty() && schema.is_table(key) ? key : open_table;
    const toml::table* sub = node.as_table();
    if (sub != nullptr &&
        (!in_table.empty() || (schema.find(key) == nullptr && (schema.is_section(key) || !sub->empty())))) {
      flatten(*sub, key, in_table, schema, out);
      continue;
    }
    // Report at the key when the value has no position of its own.
    const toml::source_position at = node.source().begin ? node.source().begin : k.source().begin;
    out.push_back({key, &node, static_cast<int>(at.line), static_cast<int>(at.column),
                   static_cast<int>(k.source().begin.line), in_table});
  }
}

// The names a top-level table of a closed schema may have: its sections and open tables.
std::vector<std::string> top_level_names(const Schema& schema) {
  std::vector<std::string> names;
  for (const std::string& section : schema.sections())
    if (!section.empty()) names.push_back(section.substr(0, section.find('.')));
  for (const auto& [table, doc] : schema.tables()) names.push_back(table);
  std::vector<std::string> unique;
  for (const std::string& n : names)
    if (std::find(unique.begin(), unique.end(), n) == unique.end()) unique.push_back(n);
  return unique;
}

std::string unknown_section_hint(const Schema& schema, std::string_view name) {
  const std::vector<std::string> names = top_level_names(schema);
  if (auto close = did_you_mean(name, names)) return "did you mean [" + *close + "]?";
  std::vector<std::string> sections;
  for (const std::string& n : names) sections.push_back("[" + n + "]");
  return "the sections are " + join(sections, ", ");
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
struct FoundProblem {
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
                        const std::vector<std::string>& foreign_sections, std::vector<Problem>* lenient) {
  return load_impl(schema, path, nullptr, overrides, foreign_sections, lenient);
}

Document Document::load_text(const Schema& schema, const std::string& text, const std::string& origin,
                             std::vector<Problem>* problems) {
  return load_impl(schema, origin, &text, {}, {}, problems);
}

Document Document::load_impl(const Schema& schema, const std::string& path, const std::string* given_text,
                             const std::vector<std::string>& overrides,
                             const std::vector<std::string>& foreign_sections, std::vector<Problem>* lenient) {
  Document doc(schema, path);
  std::vector<FoundProblem> problems;
  const auto report = [&problems](Position at, std::string text) {
    problems.push_back({at.phase, at.line, at.column, problems.size(), std::move(text)});
  };
  std::map<std::string, Position, std::less<>> positions;  // of each value set so far
  std::set<std::string, std::less<>> mistyped;             // not also reported as missing
  bool file_unusable = false;                              // then nothing is reported missing

  // 1. The file: every value with its line; unknown keys and wrong types are reported here.
  if (!path.empty()) {
    std::string text;
    std::optional<std::string> error;
    if (given_text != nullptr) {
      text = *given_text;
    } else {
      error = read_config_file(path, &text);
    }
    if (error) {
      report({kFilePhase, 0, 0}, std::move(*error));
      file_unusable = true;
    } else {
      try {
        toml::table table = toml::parse(text, path);
        for (const std::string& section : foreign_sections) table.erase(section);
        if (schema.sections_closed()) {
          const std::vector<std::string> names = top_level_names(schema);
          std::vector<std::string> unknown;
          for (auto&& [k, node] : table) {
            const std::string name(k.str());
            if (schema.find(name) != nullptr || std::find(names.begin(), names.end(), name) != names.end()) continue;
            const int line = static_cast<int>(k.source().begin.line);
            report({kFilePhase, line, static_cast<int>(k.source().begin.column)},
                   with_hint(path + ":" + std::to_string(line) + ": unknown section or key '" + name + "'.",
                             unknown_section_hint(schema, name)));
            unknown.push_back(name);
          }
          for (const std::string& name : unknown) table.erase(name);
        }
        for (const auto& [name, doc] : schema.tables()) {
          const toml::node* node = table.get(name);
          if (node == nullptr || node->is_table()) continue;
          const int line = static_cast<int>(node->source().begin.line);
          report({kFilePhase, line, 0}, with_hint(path + ":" + std::to_string(line) + ": " + name + " = " +
                                                      render_node(*node) + " is not a section.",
                                                  "write [" + name + "] followed by its keys; " + doc));
          table.erase(name);
        }
        std::vector<FileValue> values;
        flatten(table, "", "", schema, values);
        std::stable_sort(values.begin(), values.end(), [](const FileValue& a, const FileValue& b) {
          return std::tie(a.line, a.column) < std::tie(b.line, b.column);
        });
        for (FileValue& fv : values) {
          const Position at{kFilePhase, fv.line, fv.column};
          if (!fv.table.empty()) {
            Source source = Source::from_file(path, fv.key_line);
            std::vector<int> item_lines;
            std::optional<Value> value = natural_value(*fv.node, &item_lines);
            if (!value) {
              report(at, with_hint(source.describe() + ": " + fv.key + " = " + render_node(*fv.node) + " has type " +
                                       node_type_name(*fv.node) + ", which is not a config value.",
                                   "write a bool, a number, a string or a list of them"));
              continue;
            }
            doc.tables_[fv.table].push_back(
                {fv.key.substr(fv.table.size() + 1), std::move(*value), std::move(source), std::move(item_lines)});
            continue;
          }
          Source source = Source::from_file(path, fv.line);
          const KeySpec* spec = schema.find(fv.key);
          if (spec == nullptr) {
            report(at, unknown_key_line(source.describe(), schema, fv.key));
            continue;
          }
          std::optional<Value> value = convert(*fv.node, spec->type, spec->element_type);
          if (!value) {
            report(at, type_error_line(source.describe(), *spec, render_node(*fv.node), node_type_name(*fv.node),
                                       /*as_override=*/false));
            mistyped.insert(fv.key);
            continue;
          }
          doc.entries_.insert_or_assign(fv.key, Entry{std::move(*value), std::move(source), item_lines_of(*fv.node)});
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
      report(at,
             with_hint(where + ": " + key + " = " + raw + " is not " + (spec->type == ValueType::kInt ? "an " : "a ") +
                           std::string(type_name(spec->type)) + ".",
                       write_hint(*spec, /*as_override=*/true)));
      continue;
    } else if (!(value = convert(*node, spec->type, spec->element_type))) {
      report(at, type_error_line(where, *spec, render_node(*node), node_type_name(*node), /*as_override=*/true));
      mistyped.insert(key);
      continue;
    }
    doc.entries_.insert_or_assign(key, Entry{std::move(*value), std::move(source), {}});
    positions[key] = at;
  }

  // 3. Defaults for what is still unset, then the rules on the resolved values.
  for (const KeySpec& spec : schema.keys()) {
    const auto it = doc.entries_.find(spec.key);
    if (it == doc.entries_.end()) {
      if (spec.default_value) {
        doc.entries_.emplace(spec.key, Entry{*spec.default_value, Source::from_default(), {}});
        continue;
      }
      if (mistyped.count(spec.key) == 0 && !file_unusable) {
        report({kMissingPhase, 0, 0},
               with_hint(file_or_none(path) + ": missing required key '" + spec.key + "'.", spec.doc));
      }
      if (lenient != nullptr) doc.entries_.emplace(spec.key, Entry{zero_value(spec.type), Source::from_default(), {}});
      continue;
    }
    const Entry& entry = it->second;
    if (!spec.satisfied_by(entry.value)) {
      report(positions[spec.key], rule_line(doc.where(entry.source), spec.key, entry.value, false, spec.rule(),
                                            rule_hint(spec, entry.value)));
    }
  }

  std::stable_sort(problems.begin(), problems.end(), [](const FoundProblem& a, const FoundProblem& b) {
    return std::tie(a.phase, a.line, a.column, a.seq) < std::tie(b.phase, b.line, b.column, b.seq);
  });
  if (lenient != nullptr) {
    // Keys that kept no usable value (a type error) read as zero values.
    for (const KeySpec& spec : schema.keys())
      if (doc.entries_.count(spec.key) == 0)
        doc.entries_.emplace(spec.key, Entry{zero_value(spec.type), Source::from_default(), {}});
    for (FoundProblem& p : problems) lenient->push_back({p.phase == kFilePhase ? p.line : 0, std::move(p.text)});
    return doc;
  }
  if (!problems.empty()) {
    std::vector<std::string> lines;
    for (FoundProblem& p : problems) lines.push_back(std::move(p.text));
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

Source Document::item_source(std::string_view key, size_t index) const {
  const Entry& e = entry(key);
  if (index < e.item_lines.size() && e.item_lines[index] > 0)
    return Source::from_file(e.source.file, e.item_lines[index]);
  return e.source;
}

const std::vector<TableEntry>& Document::table(std::string_view name) const {
  CLIPSCALE_CHECK(schema_.is_table(name)) << "'" << name << "' is not an open table of the schema";
  static const std::vector<TableEntry> kEmpty;
  const auto it = tables_.find(name);
  return it == tables_.end() ? kEmpty : it->second;
}

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
    throw core::UserError(
        rule_line(at, spec->key, value, source.kind == Source::Kind::kDefault, spec->rule(), rule_hint(*spec, value)));
  }
  entries_.insert_or_assign(spec->key, Entry{std::move(value), std::move(source), {}});
}

std::string Document::to_toml(bool with_provenance,
                              const std::function<bool(const KeySpec&, const Value&)>& include) const {
  std::string out;
  for (const std::string& section : schema_.sections()) {
    std::string lines;
    for (const KeySpec& spec : schema_.keys()) {
      if (spec.section() != section) continue;
      const Entry& e = entry(spec.key);
      if (include && !include(spec, e.value)) continue;
      lines += section.empty() ? spec.key : spec.key.substr(section.size() + 1);
      lines += " = ";
      lines += format_value(e.value);
      if (with_provenance) lines += "  # " + e.source.describe();
      lines += '\n';
    }
    if (lines.empty()) continue;
    if (!section.empty()) {
      if (!out.empty()) out += '\n';
      out += "[" + section + "]\n";
    }
    out += lines;
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
