#include "text/pre_tokenizer.h"

#include <array>

#include "text/unicode_properties.h"
#include "text/utf8.h"

namespace clipscale::text {
namespace {

// Case-insensitive equality of a text code point with an ASCII pattern character, with the case
// pairs the `regex` module uses for the letters in OpenCLIP's pattern (only 's' has a third one).
bool matches_ignoring_case(char32_t c, char pattern) {
  if (c == static_cast<unsigned char>(pattern)) return true;
  if (pattern >= 'a' && pattern <= 'z' && c == static_cast<char32_t>(pattern - 'a' + 'A')) return true;
  return pattern == 's' && c == 0x17F;
}

// Length of `literal` if it matches `text` at `pos`, else 0.
size_t match_literal(std::u32string_view text, size_t pos, std::string_view literal) {
  if (text.size() - pos < literal.size()) return 0;
  for (size_t k = 0; k < literal.size(); ++k) {
    if (!matches_ignoring_case(text[pos + k], literal[k])) return 0;
  }
  return literal.size();
}

constexpr std::array<std::string_view, 9> kLiterals = {kStartOfText, kEndOfText, "'s",  "'t", "'re",
                                                       "'ve",        "'m",       "'ll", "'d"};

}  // namespace

std::vector<PreToken> pre_tokenize(std::u32string_view text) {
  std::vector<PreToken> tokens;
  const size_t n = text.size();
  size_t pos = 0;
  while (pos < n) {
    const char32_t c = text[pos];
    if (c == '<' || c == '\'') {
      size_t length = 0;
      for (std::string_view literal : kLiterals) {
        length = match_literal(text, pos, literal);
        if (length > 0) break;
      }
      if (length > 0) {
        tokens.push_back({pos, length});
        pos += length;
        continue;
      }
    }
    const CharClass cls = char_class(c);
    size_t end = pos + 1;
    switch (cls) {
      case CharClass::kLetter:
      case CharClass::kOther:
        while (end < n && char_class(text[end]) == cls) ++end;
        break;
      case CharClass::kNumber: break;
      case CharClass::kSpace:
      case CharClass::kNone: ++pos; continue;
    }
    tokens.push_back({pos, end - pos});
    pos = end;
  }
  return tokens;
}

std::vector<std::string> pre_tokenize_to_strings(std::u32string_view text) {
  std::vector<std::string> out;
  for (const PreToken& t : pre_tokenize(text)) out.push_back(encode_utf8(text.substr(t.begin, t.length)));
  return out;
}

}  // namespace clipscale::text
