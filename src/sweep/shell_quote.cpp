#include "sweep/shell_quote.h"

#include <cctype>

#include "core/error.h"

namespace clipscale::sweep {
namespace {

bool is_safe_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("_./:=@%+,-").find(c) != std::string_view::npos;
}

bool is_placeholder_char(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

std::string known_names(const std::map<std::string, std::string>& values) {
  std::string out;
  for (const auto& [name, value] : values) out += (out.empty() ? "@" : ", @") + name + "@";
  return out.empty() ? "none" : out;
}

}  // namespace

std::string shell_quote(std::string_view text) {
  bool safe = !text.empty();
  for (const char c : text) safe = safe && is_safe_char(c);
  if (safe) return std::string(text);
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string render_script(std::string_view template_text, const std::map<std::string, std::string>& values,
                          const std::string& origin) {
  std::string out;
  out.reserve(template_text.size());
  int line = 1;
  for (size_t i = 0; i < template_text.size(); ++i) {
    const char c = template_text[i];
    if (c == '\n') ++line;
    if (c != '@') {
      out += c;
      continue;
    }
    size_t end = i + 1;
    while (end < template_text.size() && is_placeholder_char(template_text[end])) ++end;
    if (end == i + 1 && end < template_text.size() && template_text[end] == '@') {  // "@@"
      out += '@';
      i = end;
      continue;
    }
    if (end == i + 1 || end >= template_text.size() || template_text[end] != '@') {
      out += c;  // an '@' that starts no placeholder (an e-mail address in a comment)
      continue;
    }
    const std::string name(template_text.substr(i + 1, end - i - 1));
    const auto it = values.find(name);
    if (it == values.end()) {
      throw core::UserError(origin + ":" + std::to_string(line) + ": unknown placeholder @" + name +
                            "@. HINT: the placeholders this template can use are " + known_names(values) +
                            " (write @@ for a literal @).");
    }
    out += shell_quote(it->second);
    i = end;
  }
  return out;
}

}  // namespace clipscale::sweep
