#include "text/html_unescape.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <iterator>

#include "text/utf8.h"

namespace clipscale::text {
namespace {

#include "text/html_entity_tables.inc"

bool is_digit(char32_t c) { return c >= '0' && c <= '9'; }

int hex_value(char32_t c) {
  if (c >= '0' && c <= '9') return static_cast<int>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<int>(c - 'a' + 10);
  if (c >= 'A' && c <= 'F') return static_cast<int>(c - 'A' + 10);
  return -1;
}

// Python's html._replace_charref for a numeric reference; appends nothing for dropped values.
void append_numeric(uint64_t number, std::u32string& out) {
  const auto fixup = std::lower_bound(std::begin(kCharrefFixups), std::end(kCharrefFixups), number,
                                      [](const CharrefFixup& f, uint64_t n) { return f.number < n; });
  if (fixup != std::end(kCharrefFixups) && fixup->number == number) {
    out.push_back(fixup->code_point);
    return;
  }
  if ((number >= 0xD800 && number <= 0xDFFF) || number > 0x10FFFF) {
    out.push_back(kReplacementCharacter);
    return;
  }
  const auto cp = static_cast<char32_t>(number);
  if (std::binary_search(std::begin(kDroppedCharrefs), std::end(kDroppedCharrefs), cp)) return;
  out.push_back(cp);
}

// The named reference `name` (including its ';' if any), or nullptr if unknown.
const NamedEntity* lookup_name(const std::string& name) {
  const auto it =
      std::lower_bound(std::begin(kNamedEntities), std::end(kNamedEntities), name,
                       [](const NamedEntity& e, const std::string& n) { return std::strcmp(e.name, n.c_str()) < 0; });
  if (it != std::end(kNamedEntities) && name == it->name) return it;
  return nullptr;
}

void append_entity(const NamedEntity& entity, std::u32string& out) {
  out.push_back(entity.first);
  if (entity.second != 0) out.push_back(entity.second);
}

// Python's named-reference pattern: [^\t\n\f <&#;]{1,32};?
bool is_name_char(char32_t c) {
  return c != '\t' && c != '\n' && c != '\f' && c != ' ' && c != '<' && c != '&' && c != '#' && c != ';';
}

constexpr size_t kMaxNameLength = 32;
// Saturates long digit strings: anything above U+10FFFF maps to U+FFFD anyway.
constexpr uint64_t kNumberCap = 0x110000;

}  // namespace

std::u32string html_unescape(std::u32string_view text) {
  if (text.find(U'&') == std::u32string_view::npos) return std::u32string(text);
  std::u32string out;
  out.reserve(text.size());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    if (text[i] != '&') {
      out.push_back(text[i++]);
      continue;
    }
    const size_t start = i + 1;
    if (start < n && text[start] == '#') {
      // &#[0-9]+;? or &#[xX][0-9a-fA-F]+;?
      size_t j = start + 1;
      uint64_t number = 0;
      bool matched = false;
      if (j < n && is_digit(text[j])) {
        for (; j < n && is_digit(text[j]); ++j) {
          number = std::min(kNumberCap, number * 10 + (text[j] - '0'));
        }
        matched = true;
      } else if (j + 1 < n && (text[j] == 'x' || text[j] == 'X') && hex_value(text[j + 1]) >= 0) {
        for (++j; j < n && hex_value(text[j]) >= 0; ++j) {
          number = std::min(kNumberCap, number * 16 + static_cast<uint64_t>(hex_value(text[j])));
        }
        matched = true;
      }
      if (!matched) {  // '#' cannot start a name either: the '&' is literal
        out.push_back(text[i++]);
        continue;
      }
      if (j < n && text[j] == ';') ++j;
      append_numeric(number, out);
      i = j;
      continue;
    }
    // [^\t\n\f <&#;]{1,32};?
    size_t j = start;
    while (j < n && j - start < kMaxNameLength && is_name_char(text[j])) ++j;
    if (j == start) {
      out.push_back(text[i++]);
      continue;
    }
    const bool has_semicolon = j < n && text[j] == ';';
    const size_t end = has_semicolon ? j + 1 : j;
    // Names are ASCII; a name with other code points matches nothing but may have a legacy prefix.
    std::string name;
    size_t ascii_length = 0;
    for (size_t k = start; k < j && text[k] < 0x80; ++k, ++ascii_length) {
      name.push_back(static_cast<char>(text[k]));
    }
    const bool all_ascii = ascii_length == j - start;
    if (all_ascii && has_semicolon) name.push_back(';');
    const NamedEntity* entity = all_ascii ? lookup_name(name) : nullptr;
    if (entity != nullptr) {
      append_entity(*entity, out);
      i = end;
      continue;
    }
    // Longest prefix of at least 2 characters, shorter than the whole reference, that is a name
    // (only legacy names, which lack the ';', can be).
    const size_t whole = end - start;
    for (size_t prefix = std::min(whole - 1, ascii_length); prefix >= 2 && entity == nullptr; --prefix) {
      entity = lookup_name(name.substr(0, prefix));
      if (entity != nullptr) {
        append_entity(*entity, out);
        out.append(text.substr(start + prefix, end - start - prefix));
      }
    }
    if (entity == nullptr) {
      out.append(text.substr(i, end - i));
    }
    i = end;
  }
  return out;
}

}  // namespace clipscale::text
