#include "text/unicode_properties.h"

#include <gtest/gtest.h>

namespace clipscale::text {

TEST(CharClass, FollowsRegexLetterNumberAndWhitespaceClasses) {
  EXPECT_EQ(char_class(U'a'), CharClass::kLetter);
  EXPECT_EQ(char_class(U'Z'), CharClass::kLetter);
  EXPECT_EQ(char_class(0xE9), CharClass::kLetter);    // é
  EXPECT_EQ(char_class(0x6771), CharClass::kLetter);  // 東
  EXPECT_EQ(char_class(0x30BF), CharClass::kLetter);  // タ
  EXPECT_EQ(char_class(U'7'), CharClass::kNumber);
  EXPECT_EQ(char_class(0xB2), CharClass::kNumber);    // ²  (No)
  EXPECT_EQ(char_class(0x663), CharClass::kNumber);   // ٣  (Nd)
  EXPECT_EQ(char_class(0x216B), CharClass::kNumber);  // Ⅻ  (Nl)
  EXPECT_EQ(char_class(U' '), CharClass::kSpace);
  EXPECT_EQ(char_class(U'\t'), CharClass::kSpace);
  EXPECT_EQ(char_class(0xA0), CharClass::kSpace);    // no-break space
  EXPECT_EQ(char_class(0x3000), CharClass::kSpace);  // ideographic space
  EXPECT_EQ(char_class(U'!'), CharClass::kOther);
  EXPECT_EQ(char_class(U'\''), CharClass::kOther);
  EXPECT_EQ(char_class(0x1F600), CharClass::kOther);  // 😀
  EXPECT_EQ(char_class(0x1C), CharClass::kOther);     // not \s, although str.isspace()
  EXPECT_EQ(char_class(0x345), CharClass::kNone);     // case-insensitive matching drops it
  EXPECT_EQ(char_class(0x10FFFF), CharClass::kOther);
}

TEST(PythonSpace, AddsFileSeparatorsToRegexWhitespace) {
  for (char32_t c = 0x1C; c <= 0x1F; ++c) {
    EXPECT_TRUE(is_python_space(c));
    EXPECT_FALSE(is_regex_space(c));
  }
  EXPECT_TRUE(is_python_space(U' '));
  EXPECT_TRUE(is_python_space(0x2028));
  EXPECT_FALSE(is_python_space(U'a'));
  EXPECT_FALSE(is_python_space(0x200B));  // zero-width space is not whitespace
}

TEST(CaseProperties, MatchUnicodeCasedAndCaseIgnorable) {
  EXPECT_TRUE(is_cased(U'A'));
  EXPECT_TRUE(is_cased(0x3C3));
  EXPECT_FALSE(is_cased(U'1'));
  EXPECT_FALSE(is_cased(0x6771));
  EXPECT_TRUE(is_case_ignorable(U'\''));
  EXPECT_TRUE(is_case_ignorable(0x301));  // combining acute
  EXPECT_FALSE(is_case_ignorable(U'a'));
}

// Expectations are Python's str.lower().
TEST(ToLower, MatchesPythonStrLowerIncludingSpecialCases) {
  EXPECT_EQ(to_lower(U"Hello WORLD"), U"hello world");
  EXPECT_EQ(to_lower(U"ÀÉÎ ĀĂ ẞ Ⅻ ǅ"), U"àéî āă ß ⅻ ǆ");
  EXPECT_EQ(to_lower(U"İ"), U"i\u0307");
  EXPECT_EQ(to_lower(U"ΟΔΟΣ"), U"οδος");
  EXPECT_EQ(to_lower(U"Σ"), U"σ");
  EXPECT_EQ(to_lower(U"ΑΣ1"), U"ας1");
  EXPECT_EQ(to_lower(U"ΑΣ'Α"), U"ασ'α");
  EXPECT_EQ(to_lower(U"Α'Σ"), U"α'ς");
  EXPECT_EQ(to_lower(U"ΑΣ\u0301"), U"ας\u0301");
  EXPECT_EQ(to_lower(U"東京 123 😀"), U"東京 123 😀");
}

}  // namespace clipscale::text
