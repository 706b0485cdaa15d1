#include "text/pre_tokenizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "text/utf8.h"

namespace clipscale::text {
namespace {

std::vector<std::string> split(const std::string& utf8) { return pre_tokenize_to_strings(decode_utf8(utf8)); }

using Words = std::vector<std::string>;

}  // namespace

TEST(PreTokenize, SplitsLettersSingleDigitsAndPunctuationRuns) {
  EXPECT_EQ(split("a photo of 2 cats"), (Words{"a", "photo", "of", "2", "cats"}));
  EXPECT_EQ(split("x1234y"), (Words{"x", "1", "2", "3", "4", "y"}));
  EXPECT_EQ(split("hello!!world... ok?"), (Words{"hello", "!!", "world", "...", "ok", "?"}));
  EXPECT_EQ(split("caf\xC3\xA9 \xE6\x9D\xB1\xE4\xBA\xAC"), (Words{"caf\xC3\xA9", "\xE6\x9D\xB1\xE4\xBA\xAC"}));
  EXPECT_EQ(split("x\xC2\xB2"), (Words{"x", "\xC2\xB2"}));  // ² is a number, alone
  EXPECT_EQ(split(""), Words{});
  EXPECT_EQ(split("   "), Words{});
}

TEST(PreTokenize, KeepsContractionsInPatternOrder) {
  EXPECT_EQ(split("it's we're they'll i'm you've he'd don't"),
            (Words{"it", "'s", "we", "'re", "they", "'ll", "i", "'m", "you", "'ve", "he", "'d", "don", "'t"}));
  EXPECT_EQ(split("IT'S"), (Words{"IT", "'S"}));
  EXPECT_EQ(split("''s"), (Words{"''", "s"}));  // the run of quotes wins at the first quote
  EXPECT_EQ(split("'x"), (Words{"'", "x"}));
  EXPECT_EQ(split("it'\xC5\xBF"), (Words{"it", "'\xC5\xBF"}));  // regex folds ſ to s
}

TEST(PreTokenize, KeepsSpecialTokensWhole) {
  EXPECT_EQ(split("<start_of_text>hi<end_of_text>"), (Words{"<start_of_text>", "hi", "<end_of_text>"}));
  EXPECT_EQ(split("<START_OF_TEXT>"), (Words{"<START_OF_TEXT>"}));
  EXPECT_EQ(split("<<start_of_text>"), (Words{"<<", "start", "_", "of", "_", "text", ">"}));
}

TEST(PreTokenize, SkipsCodePointsInNoClass) {
  EXPECT_EQ(split("a\xCD\x85"
                  "b"),
            (Words{"a", "b"}));  // U+0345
}

TEST(PreTokenize, ReportsCodePointSpans) {
  const std::vector<PreToken> tokens = pre_tokenize(U"ab, c");
  ASSERT_EQ(tokens.size(), 3u);
  EXPECT_EQ(tokens[1].begin, 2u);
  EXPECT_EQ(tokens[1].length, 1u);
  EXPECT_EQ(tokens[2].begin, 4u);
}

}  // namespace clipscale::text
