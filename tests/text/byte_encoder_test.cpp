#include "text/byte_encoder.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "text/utf8.h"

namespace clipscale::text {
namespace {

bool printable(int b) { return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF); }

}  // namespace

// The rule of OpenCLIP's bytes_to_unicode, recomputed here byte by byte.
TEST(ByteEncoder, FollowsBytesToUnicodeInsertionOrder) {
  int next_printable_position = 0;
  int next_remapped = 0;
  for (int b = 0; b < 256; ++b) {
    if (printable(b)) continue;
    EXPECT_EQ(byte_to_code_point(static_cast<uint8_t>(b)), static_cast<char32_t>(256 + next_remapped)) << b;
    EXPECT_EQ(byte_vocab_position(static_cast<uint8_t>(b)), 188 + next_remapped) << b;
    ++next_remapped;
  }
  for (int b = 0; b < 256; ++b) {
    if (!printable(b)) continue;
    EXPECT_EQ(byte_to_code_point(static_cast<uint8_t>(b)), static_cast<char32_t>(b)) << b;
    EXPECT_EQ(byte_vocab_position(static_cast<uint8_t>(b)), next_printable_position++) << b;
  }
  EXPECT_EQ(next_printable_position, 188);
  EXPECT_EQ(next_remapped, 68);
}

TEST(ByteEncoder, PinsWellKnownPositions) {
  EXPECT_EQ(byte_at_vocab_position(0), '!');
  EXPECT_EQ(byte_vocab_position('a'), 64);
  EXPECT_EQ(byte_vocab_position('~'), 93);
  EXPECT_EQ(byte_vocab_position(0xA1), 94);   // ¡
  EXPECT_EQ(byte_vocab_position(0xAE), 106);  // ®
  EXPECT_EQ(byte_vocab_position(0xFF), 187);
  EXPECT_EQ(byte_vocab_position(0x00), 188);
  EXPECT_EQ(byte_to_code_point(0x00), 0x100u);
  EXPECT_EQ(byte_vocab_position(' '), 220);
  EXPECT_EQ(byte_to_code_point(' '), 0x120u);
  EXPECT_EQ(byte_symbol(' '), "\xC4\xA0");  // "Ġ"
  EXPECT_EQ(byte_vocab_position(0x7F), 221);
  EXPECT_EQ(byte_vocab_position(0xAD), 255);  // soft hyphen, the last remapped byte
  EXPECT_EQ(byte_to_code_point(0xAD), 0x143u);
}

TEST(ByteEncoder, IsABijectionAndRoundTripsEveryByte) {
  std::set<char32_t> seen;
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) {
    const auto byte = static_cast<uint8_t>(b);
    seen.insert(byte_to_code_point(byte));
    EXPECT_EQ(code_point_to_byte(byte_to_code_point(byte)), b);
    EXPECT_EQ(byte_at_vocab_position(byte_vocab_position(byte)), byte);
    EXPECT_EQ(decode_utf8(byte_symbol(byte)), std::u32string(1, byte_to_code_point(byte)));
    all_bytes.push_back(static_cast<char>(byte));
  }
  EXPECT_EQ(seen.size(), 256u);
  EXPECT_EQ(code_point_to_byte(0x144), -1);
  EXPECT_EQ(code_point_to_byte(0x20), -1);
  EXPECT_EQ(symbols_to_bytes(bytes_to_symbols(all_bytes)), all_bytes);
  EXPECT_EQ(bytes_to_symbols("a b"),
            "a\xC4\xA0"
            "b");
  EXPECT_EQ(symbols_to_bytes("caf\xC3\x83\xC2\xA9</w>"), "caf\xC3\xA9</w>");
}

}  // namespace clipscale::text
