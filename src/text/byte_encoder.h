// OpenCLIP's bytes_to_unicode(): the printable alphabet byte-level BPE is written in.
//
// Every byte of UTF-8 text is shown as one printable code point, so merges can be stored as
// text. The 188 printable bytes '!'..'~', '¡'..'¬', '®'..'ÿ' stand for themselves; the other 68
// bytes (controls, space, 0x7F..0xA0, 0xAD) map to U+0100, U+0101, ... in ascending byte order,
// e.g. ' ' (0x20) is 'Ġ' (U+0120).
//
// The vocabulary lists the 256 symbols in the *insertion order* of that Python dict, not by byte
// value: ids 0..187 are the printable bytes in the order above (id 0 is '!', 'a' is 64), ids
// 188..255 the remapped ones (byte 0x00 is 188, ' ' is 220). ids 256..511 repeat them with '</w>'.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace clipscale::text {

/// Number of byte symbols (and of byte symbols with '</w>').
inline constexpr int kNumByteSymbols = 256;

/// Suffix marking the last symbol of a word.
inline constexpr std::string_view kEndOfWord = "</w>";

/// Code point that stands for `byte`.
char32_t byte_to_code_point(uint8_t byte);

/// Byte that `code_point` stands for, or -1 if it stands for none.
int code_point_to_byte(char32_t code_point);

/// Vocab position (0..255) of the symbol for `byte`.
int byte_vocab_position(uint8_t byte);

/// Byte whose symbol sits at vocab position `position` (0..255).
uint8_t byte_at_vocab_position(int position);

/// UTF-8 text of the symbol for `byte` ("Ġ" for ' ').
const std::string& byte_symbol(uint8_t byte);

/// OpenCLIP's `''.join(byte_encoder[b] for b in token.encode('utf-8'))`: the symbol text of
/// every byte of `bytes`, concatenated.
std::string bytes_to_symbols(std::string_view bytes);

/// Inverse of bytes_to_symbols: the bytes behind the symbol text `symbols` (UTF-8). Code points
/// that stand for no byte are kept as their own UTF-8.
std::string symbols_to_bytes(std::string_view symbols);

}  // namespace clipscale::text
