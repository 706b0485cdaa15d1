#include "text/text_cleaning.h"

#include <gtest/gtest.h>

namespace clipscale::text {

// Expectations are OpenCLIP's _clean_lower without ftfy, i.e. Python's
// whitespace_clean(html.unescape(html.unescape(s)).strip()).lower().
TEST(CleanText, StripsCollapsesWhitespaceAndLowercases) {
  EXPECT_EQ(clean_text("  A Photo \t of\n\nA   CAT  "), "a photo of a cat");
  EXPECT_EQ(clean_text(""), "");
  EXPECT_EQ(clean_text(" \t\n "), "");
  EXPECT_EQ(clean_text("non\xC2\xA0"
                       "breaking\xE3\x80\x80space"),
            "non breaking space");
}

TEST(CleanText, UnescapesHtmlExactlyTwice) {
  EXPECT_EQ(clean_text("Fish &amp; Chips"), "fish & chips");
  EXPECT_EQ(clean_text("&amp;lt;b&amp;gt;"), "<b>");
  EXPECT_EQ(clean_text("&amp;amp;amp;"), "&amp;");
  EXPECT_EQ(clean_text("It&#39;s"), "it's");
}

TEST(CleanText, StripUsesPythonIsspaceButCollapseUsesRegexWhitespace) {
  // U+001C is str.isspace() (stripped at the ends) but not regex \s (kept inside).
  EXPECT_EQ(clean_text("\x1C a\x1C"
                       "b \x1C"),
            "a\x1C"
            "b");
}

TEST(CleanText, LowercasesLikePython) { EXPECT_EQ(clean_text("CAFÉ ΟΔΟΣ İ"), "café οδος i\xCC\x87"); }

TEST(CleanText, ReplacesMalformedUtf8) { EXPECT_EQ(clean_text("caf\xC3 ok"), "caf\xEF\xBF\xBD ok"); }

TEST(CleanText, DoesNotApplyFtfy) {
  // ftfy would turn the curly apostrophe into ' and fix the mojibake; clipscale keeps both.
  EXPECT_EQ(clean_text("It\xE2\x80\x99s caf\xC3\x83\xC2\xA9"), "it\xE2\x80\x99s caf\xC3\xA3\xC2\xA9");
}

}  // namespace clipscale::text
