#include "text/utf8.h"

#include <gtest/gtest.h>

#include <string>

#include "core/error.h"

namespace clipscale::text {

TEST(Utf8, DecodesValidSequencesOfEveryLength) {
  EXPECT_EQ(decode_utf8("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"), (std::u32string{U'a', 0xE9, 0x20AC, 0x1F600}));
}

// Expectations are Python's bytes.decode("utf-8", errors="replace").
TEST(Utf8, ReplacesEachMaximalIllFormedSubpartLikePython) {
  const std::u32string r(1, kReplacementCharacter);
  EXPECT_EQ(decode_utf8("\xE2\x82"), r);  // truncated at the end
  EXPECT_EQ(decode_utf8("\xF0\x9F\x98"
                        "A"),
            r + U"A");                                        // truncated, then ASCII
  EXPECT_EQ(decode_utf8("\xED\xA0\x80"), r + r + r);          // encoded surrogate
  EXPECT_EQ(decode_utf8("\xC0\xAF"), r + r);                  // overlong
  EXPECT_EQ(decode_utf8("\xE0\x80\xAF"), r + r + r);          // overlong
  EXPECT_EQ(decode_utf8("\xF4\x90\x80\x80"), r + r + r + r);  // above U+10FFFF
  EXPECT_EQ(decode_utf8("\x80\xBF"), r + r);                  // stray continuations
  EXPECT_EQ(decode_utf8("a\xFF"
                        "b"),
            U"a" + r + U"b");
}

TEST(Utf8, EncodeInvertsDecodeForEveryScalarValueBoundary) {
  const std::u32string cps = {0x0, 0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFF, 0x10000, 0x10FFFF};
  EXPECT_EQ(decode_utf8(encode_utf8(cps)), cps);
  EXPECT_EQ(encode_utf8(U"\u0120"), "\xC4\xA0");
}

TEST(Utf8, EncodingASurrogateIsAnInvariantViolation) {
  std::string out;
  EXPECT_THROW(append_utf8(0xD800, out), core::Error);
  EXPECT_THROW(append_utf8(0x110000, out), core::Error);
}

}  // namespace clipscale::text
