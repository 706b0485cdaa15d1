// Splitting cleaned text into the words BPE works on (OpenCLIP's regex `pat`).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace clipscale::text {

/// OpenCLIP's special tokens, which the pattern keeps whole and the tokenizer maps to sot / eot.
inline constexpr std::string_view kStartOfText = "<start_of_text>";
inline constexpr std::string_view kEndOfText = "<end_of_text>";

/// One pre-token: code points [begin, begin + length) of the text that was split.
struct PreToken {
  size_t begin;
  size_t length;
};

/// Splits `text` like OpenCLIP's case-insensitive `regex` pattern
///   <start_of_text>|<end_of_text>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
/// i.e. at each position the first alternative that matches wins: the special tokens, an ASCII
/// apostrophe contraction, a run of letters, a *single* number character, or a run of anything
/// that is neither whitespace, letter nor number. Whitespace (and U+0345, see CharClass) between
/// matches is skipped. Case-insensitive literals also accept upper case and, as `regex` does,
/// 'ſ' (U+017F) for 's'.
std::vector<PreToken> pre_tokenize(std::u32string_view text);

/// The pre-tokens as UTF-8 strings (for tests and inspection).
std::vector<std::string> pre_tokenize_to_strings(std::u32string_view text);

}  // namespace clipscale::text
