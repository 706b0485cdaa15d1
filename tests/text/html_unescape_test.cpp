#include "text/html_unescape.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace clipscale::text {

// Every expectation below is what Python's html.unescape returns for the input.
TEST(HtmlUnescape, MatchesPythonHtmlUnescape) {
  const std::vector<std::pair<std::u32string, std::u32string>> cases = {
      {U"&amp;", U"&"},
      {U"&amp", U"&"},
      {U"&ampfoo", U"&foo"},
      {U"&AMP;", U"&"},
      {U"&apos;", U"'"},
      {U"&apos", U"&apos"},
      {U"&nbsp;", U"\u00a0"},
      {U"&#39;", U"'"},
      {U"&#x27;", U"'"},
      {U"&#X41", U"A"},
      {U"&#65x", U"Ax"},
      {U"&#150;", U"\u2013"},
      {U"&#0;", U"\ufffd"},
      {U"&#1;", U""},
      {U"&#xD800;", U"\ufffd"},
      {U"&#99999999999;", U"\ufffd"},
      {U"&#x110000;", U"\ufffd"},
      {U"&#13;", U"\r"},
      {U"&#x;", U"&#x;"},
      {U"&#;", U"&#;"},
      {U"& amp;", U"& amp;"},
      {U"&notit;", U"\u00acit;"},
      {U"&notin;", U"\u2209"},
      {U"&NotEqualTilde;", U"\u2242\u0338"},
      {U"&copy2021", U"\u00a92021"},
      {U"&eacute;t&eacute;", U"\u00e9t\u00e9"},
      {U"a&b", U"a&b"},
      {U"&&amp;", U"&&"},
      {U"&semi;", U";"},
      {U"&unknown;", U"&unknown;"},
      {U"&aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa;", U"&aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa;"},
      {U"&amp;lt;", U"&lt;"},
      {U"&caf\u00e9;", U"&caf\u00e9;"},
      {U"&gt\u00e9", U">\u00e9"},
      {U"no references at all", U"no references at all"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(html_unescape(cases[i].first), cases[i].second) << "case " << i;
  }
}

}  // namespace clipscale::text
