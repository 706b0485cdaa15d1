// UTF-8 <-> code points, with Python's decoding of malformed input.
#pragma once

#include <string>
#include <string_view>

namespace clipscale::text {

/// The replacement character U+FFFD that malformed UTF-8 decodes to.
inline constexpr char32_t kReplacementCharacter = 0xFFFD;

/// Decodes UTF-8 to code points like Python's `bytes.decode("utf-8", errors="replace")`: each
/// maximal ill-formed subpart (a stray byte, a truncated sequence, an overlong form, an encoded
/// surrogate or a value above U+10FFFF) becomes one U+FFFD. The result never holds surrogates.
std::u32string decode_utf8(std::string_view bytes);

/// Appends the UTF-8 encoding of `code_point` (which must not be a surrogate nor above U+10FFFF).
void append_utf8(char32_t code_point, std::string& out);

/// UTF-8 encoding of `code_points`.
std::string encode_utf8(std::u32string_view code_points);

}  // namespace clipscale::text
