#include "sweep/filter.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>

#include "config/did_you_mean.h"
#include "config/value.h"
#include "core/error.h"

namespace clipscale::sweep {
namespace {

constexpr const char* kHint =
    "write comparisons like train.samples_seen < data.data_size or model == \"clip-w64-l2\", joined by 'and'";

struct Token {
  enum class Kind { kName, kNumber, kString, kOp, kEnd };
  Kind kind = Kind::kEnd;
  std::string text;
  double number = 0;
  size_t column = 0;  // 1-based
};

bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'; }

class Parser {
 public:
  Parser(std::string_view text, const std::string& where) : text_(text), where_(where) {}

  [[noreturn]] void fail(size_t column, const std::string& problem, const std::string& hint = kHint) const {
    const bool sentence = !hint.empty() && (hint.back() == '.' || hint.back() == '?');
    throw core::UserError(where_ + " = " + config::format_string(text_) + ": " + problem + " (column " +
                          std::to_string(column) + "). HINT: " + hint + (sentence ? "" : "."));
  }

  std::vector<Token> tokenize() const {
    std::vector<Token> tokens;
    size_t i = 0;
    while (true) {
      while (i < text_.size() && std::isspace(static_cast<unsigned char>(text_[i]))) ++i;
      Token t;
      t.column = i + 1;
      if (i == text_.size()) {
        tokens.push_back(t);
        return tokens;
      }
      const char c = text_[i];
      if (is_name_start(c)) {
        size_t end = i;
        while (end < text_.size() && is_name_char(text_[end])) ++end;
        t.kind = Token::Kind::kName;
        t.text = std::string(text_.substr(i, end - i));
        i = end;
      } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.') {
        const std::string rest(text_.substr(i));
        char* end = nullptr;
        t.number = std::strtod(rest.c_str(), &end);
        if (end == rest.c_str()) fail(t.column, "'" + std::string(1, c) + "' starts no number");
        t.kind = Token::Kind::kNumber;
        t.text = rest.substr(0, static_cast<size_t>(end - rest.c_str()));
        i += t.text.size();
      } else if (c == '"' || c == '\'') {
        size_t end = i + 1;
        std::string value;
        while (end < text_.size() && text_[end] != c) {
          if (text_[end] == '\\' && c == '"' && end + 1 < text_.size()) ++end;
          value += text_[end++];
        }
        if (end == text_.size()) fail(t.column, "unterminated string");
        t.kind = Token::Kind::kString;
        t.text = std::move(value);
        i = end + 1;
      } else {
        static const char* const kOps[] = {"==", "!=", "<=", ">=", "<", ">"};
        for (const char* op : kOps) {
          if (text_.substr(i).rfind(op, 0) == 0) {
            t.kind = Token::Kind::kOp;
            t.text = op;
            break;
          }
        }
        if (t.kind != Token::Kind::kOp) fail(t.column, "unexpected '" + std::string(1, c) + "'");
        i += t.text.size();
      }
      tokens.push_back(std::move(t));
    }
  }

 private:
  std::string_view text_;
  std::string where_;
};

const char* type_word(FilterType type) {
  switch (type) {
    case FilterType::kNumber: return "a number";
    case FilterType::kString: return "a string";
    case FilterType::kBool: return "a boolean";
  }
  return "";
}

FilterType type_of(const FilterValue& value) {
  if (std::holds_alternative<double>(value)) return FilterType::kNumber;
  if (std::holds_alternative<std::string>(value)) return FilterType::kString;
  return FilterType::kBool;
}

template <typename T>
bool compare(const T& a, const std::string& op, const T& b) {
  if (op == "==") return a == b;
  if (op == "!=") return a != b;
  if (op == "<") return a < b;
  if (op == "<=") return a <= b;
  if (op == ">") return a > b;
  return a >= b;
}

}  // namespace

const std::map<std::string, FilterType>& derived_filter_names() {
  static const std::map<std::string, FilterType> names = {
      {"params", FilterType::kNumber},        {"params_image", FilterType::kNumber},
      {"params_text", FilterType::kNumber},   {"flops_per_sample", FilterType::kNumber},
      {"compute", FilterType::kNumber},       {"model", FilterType::kString},
      {"ranks_per_run", FilterType::kNumber}, {"threads_per_rank", FilterType::kNumber}};
  return names;
}

FilterRule FilterRule::parse(std::string_view text, const std::string& where,
                             const std::map<std::string, FilterType>& types) {
  const Parser parser(text, where);
  const std::vector<Token> tokens = parser.tokenize();
  FilterRule rule;
  rule.text_ = std::string(text);
  size_t at = 0;

  // An operand with its type; names are checked against `types`.
  const auto operand = [&](Operand* out) -> FilterType {
    const Token& t = tokens[at];
    if (t.kind == Token::Kind::kNumber) {
      out->value = t.number;
    } else if (t.kind == Token::Kind::kString) {
      out->value = t.text;
    } else if (t.kind == Token::Kind::kName && (t.text == "true" || t.text == "false")) {
      out->value = t.text == "true";
    } else if (t.kind == Token::Kind::kName) {
      const auto it = types.find(t.text);
      if (it == types.end()) {
        std::vector<std::string> names;
        for (const auto& [name, type] : types) names.push_back(name);
        const auto close = config::closest_key(t.text, names);
        parser.fail(t.column, "unknown name '" + t.text + "'",
                    close ? "did you mean '" + *close + "'?"
                          : "use a run-config key or one of params, params_image, params_text, flops_per_sample, "
                            "compute, model, ranks_per_run, threads_per_rank");
      }
      out->is_name = true;
      out->name = t.text;
      if (std::find(rule.names_.begin(), rule.names_.end(), t.text) == rule.names_.end()) rule.names_.push_back(t.text);
      ++at;
      return it->second;
    } else {
      parser.fail(t.column, t.kind == Token::Kind::kEnd ? "the rule ends where a value was expected"
                                                        : "expected a name or a value, found '" + t.text + "'");
    }
    ++at;
    return type_of(out->value);
  };

  while (true) {
    Comparison c;
    const size_t left_column = tokens[at].column;
    const FilterType left = operand(&c.left);
    if (tokens[at].kind != Token::Kind::kOp) {
      parser.fail(tokens[at].column,
                  tokens[at].kind == Token::Kind::kEnd
                      ? "the rule ends where a comparison (==, !=, <, <=, >, >=) was expected"
                      : "expected a comparison (==, !=, <, <=, >, >=), found '" + tokens[at].text + "'");
    }
    c.op = tokens[at++].text;
    const FilterType right = operand(&c.right);
    if (left != right) {
      parser.fail(left_column, std::string("compares ") + type_word(left) + " with " + type_word(right),
                  "compare numbers with numbers and strings with \"strings\"");
    }
    if (left != FilterType::kNumber && c.op != "==" && c.op != "!=") {
      parser.fail(left_column, std::string("orders ") + type_word(left) + " with '" + c.op + "'",
                  "strings and booleans compare only with == and !=");
    }
    rule.comparisons_.push_back(std::move(c));
    if (tokens[at].kind == Token::Kind::kEnd) break;
    if (!(tokens[at].kind == Token::Kind::kName && tokens[at].text == "and")) {
      parser.fail(tokens[at].column, "expected 'and' or the end of the rule, found '" + tokens[at].text + "'");
    }
    ++at;
  }
  return rule;
}

bool FilterRule::holds(const std::function<FilterValue(const std::string&)>& lookup) const {
  for (const Comparison& c : comparisons_) {
    const FilterValue a = c.left.is_name ? lookup(c.left.name) : c.left.value;
    const FilterValue b = c.right.is_name ? lookup(c.right.name) : c.right.value;
    CLIPSCALE_CHECK(a.index() == b.index()) << "filter rule '" << text_ << "' got values of different types";
    bool result = false;
    if (const auto* x = std::get_if<double>(&a)) {
      result = compare(*x, c.op, std::get<double>(b));
    } else if (const auto* s = std::get_if<std::string>(&a)) {
      result = compare(*s, c.op, std::get<std::string>(b));
    } else {
      result = compare(std::get<bool>(a), c.op, std::get<bool>(b));
    }
    if (!result) return false;
  }
  return true;
}

}  // namespace clipscale::sweep
