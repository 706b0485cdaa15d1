#include "text/text_cleaning.h"

#include "text/html_unescape.h"
#include "text/unicode_properties.h"
#include "text/utf8.h"

namespace clipscale::text {
namespace {

// str.strip(): drop str.isspace() code points at both ends.
std::u32string_view strip(std::u32string_view s) {
  size_t begin = 0;
  size_t end = s.size();
  while (begin < end && is_python_space(s[begin])) ++begin;
  while (end > begin && is_python_space(s[end - 1])) --end;
  return s.substr(begin, end - begin);
}

// re.sub(r'\s+', ' ', s) with the `regex` module's \s.
std::u32string collapse_whitespace(std::u32string_view s) {
  std::u32string out;
  out.reserve(s.size());
  bool in_space = false;
  for (char32_t c : s) {
    if (is_regex_space(c)) {
      if (!in_space) out.push_back(U' ');
      in_space = true;
    } else {
      out.push_back(c);
      in_space = false;
    }
  }
  return out;
}

}  // namespace

std::u32string clean_text_code_points(std::string_view text) {
  const std::u32string unescaped = html_unescape(html_unescape(decode_utf8(text)));
  const std::u32string collapsed = collapse_whitespace(strip(unescaped));
  return to_lower(strip(collapsed));
}

std::string clean_text(std::string_view text) { return encode_utf8(clean_text_code_points(text)); }

}  // namespace clipscale::text
