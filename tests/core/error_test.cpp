#include "core/error.h"

#include <gtest/gtest.h>

#include <string>

namespace clipscale::core {

TEST(Check, PassingCheckDoesNothing) { EXPECT_NO_THROW(CLIPSCALE_CHECK(1 + 1 == 2) << "never shown"); }

TEST(Check, FailingCheckThrowsErrorWithConditionAndContext) {
  try {
    int rows = 3;
    CLIPSCALE_CHECK_EQ(rows, 4) << "embeddings must have 4 rows";
    FAIL() << "expected a throw";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("rows == 4"), std::string::npos) << what;
    EXPECT_NE(what.find("(3 vs 4)"), std::string::npos) << what;
    EXPECT_NE(what.find("embeddings must have 4 rows"), std::string::npos) << what;
  }
}

TEST(Check, UserErrorIsAnError) { EXPECT_THROW(throw UserError("bad value"), Error); }

}  // namespace clipscale::core
