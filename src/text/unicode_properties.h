// The few Unicode character properties the CLIP tokenizer needs, as Python sees them.
//
// OpenCLIP cleans text with Python's `str.strip`, `str.lower` and splits it with the `regex`
// module. The tables behind these functions were computed by asking exactly those functions about
// every code point (src/text/generate_tables.py, which records the Python and `regex` versions),
// so no ICU or locale is involved and the answers are the same on every machine.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace clipscale::text {

/// Which pre-tokenizer alternative a code point can belong to, under OpenCLIP's case-insensitive
/// pattern: `[\p{L}]`, `[\p{N}]`, `\s`, `[^\s\p{L}\p{N}]`, or none of them (U+0345, which
/// case-insensitive matching leaves out of every class, so the pattern skips it like whitespace).
enum class CharClass : uint8_t { kOther = 0, kLetter = 1, kNumber = 2, kSpace = 3, kNone = 4 };

/// Pre-tokenizer class of `code_point`.
CharClass char_class(char32_t code_point);

/// `regex`'s `\s` (Unicode White_Space): what OpenCLIP collapses to one space.
inline bool is_regex_space(char32_t code_point) { return char_class(code_point) == CharClass::kSpace; }

/// Python's `str.isspace()`: `\s` plus U+001C..U+001F. What `str.strip()` removes.
bool is_python_space(char32_t code_point);

/// Unicode's Cased property (Lowercase, Uppercase or Titlecase letters).
bool is_cased(char32_t code_point);

/// Unicode's Case_Ignorable property (combining marks, apostrophes, modifier letters, ...).
bool is_case_ignorable(char32_t code_point);

/// Python's `str.lower()`: the full lowercase mapping, i.e. the simple one except that U+0130
/// 'İ' becomes "i̇" (two code points) and a capital sigma becomes the final sigma 'ς' when a
/// cased letter precedes it and none follows (case-ignorable code points are skipped both ways).
std::u32string to_lower(std::u32string_view text);

}  // namespace clipscale::text
