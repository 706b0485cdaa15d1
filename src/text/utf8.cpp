#include "text/utf8.h"

#include <cstdint>

#include "core/error.h"

namespace clipscale::text {
namespace {

// Valid second-byte range of a sequence by its lead byte (Unicode Table 3-7). Narrower ranges
// than 80..BF exclude overlong forms (E0, F0), surrogates (ED) and values above U+10FFFF (F4).
struct LeadInfo {
  int length;  // 0: not a lead byte
  uint8_t second_lo;
  uint8_t second_hi;
};

LeadInfo lead_info(uint8_t b) {
  if (b >= 0xC2 && b <= 0xDF) return {2, 0x80, 0xBF};
  if (b == 0xE0) return {3, 0xA0, 0xBF};
  if (b == 0xED) return {3, 0x80, 0x9F};
  if (b >= 0xE1 && b <= 0xEF) return {3, 0x80, 0xBF};
  if (b == 0xF0) return {4, 0x90, 0xBF};
  if (b >= 0xF1 && b <= 0xF3) return {4, 0x80, 0xBF};
  if (b == 0xF4) return {4, 0x80, 0x8F};
  return {0, 0, 0};
}

}  // namespace

std::u32string decode_utf8(std::string_view bytes) {
  std::u32string out;
  out.reserve(bytes.size());
  const size_t n = bytes.size();
  size_t i = 0;
  while (i < n) {
    const auto lead = static_cast<uint8_t>(bytes[i]);
    if (lead < 0x80) {
      out.push_back(lead);
      ++i;
      continue;
    }
    const LeadInfo info = lead_info(lead);
    if (info.length == 0) {
      out.push_back(kReplacementCharacter);
      ++i;
      continue;
    }
    char32_t cp = lead & (0xFF >> (info.length + 1));
    size_t used = 1;
    bool ok = true;
    for (int k = 1; k < info.length; ++k) {
      if (i + used >= n) {
        ok = false;
        break;
      }
      const auto b = static_cast<uint8_t>(bytes[i + used]);
      const uint8_t lo = k == 1 ? info.second_lo : 0x80;
      const uint8_t hi = k == 1 ? info.second_hi : 0xBF;
      if (b < lo || b > hi) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (b & 0x3F);
      ++used;
    }
    // A malformed sequence consumes its valid prefix only; the offending byte starts afresh.
    out.push_back(ok ? cp : kReplacementCharacter);
    i += used;
  }
  return out;
}

void append_utf8(char32_t cp, std::string& out) {
  CLIPSCALE_CHECK(cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF))
      << "not a Unicode scalar value: " << static_cast<uint32_t>(cp);
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string encode_utf8(std::u32string_view code_points) {
  std::string out;
  out.reserve(code_points.size());
  for (char32_t cp : code_points) append_utf8(cp, out);
  return out;
}

}  // namespace clipscale::text
