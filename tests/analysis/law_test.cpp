#include "analysis/law.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"

namespace clipscale::analysis {
namespace {

TEST(Law, EvaluatesEachFormByItsFormula) {
  const Law power{LawForm::kPower, {2.0, -0.5}};
  EXPECT_NEAR(power.value({16, 0, 0}), 2.0 * 0.25, 1e-15);
  const Law saturating{LawForm::kSaturating, {0.1, 3.0, 0.5}};
  EXPECT_NEAR(saturating.value({4, 0, 0}), 0.1 + 3.0 / 2.0, 1e-14);
  const Law joint{LawForm::kJoint, {1.69, 406.4, 410.7, 0.34, 0.28}};
  const double n = 70e9, d = 1.4e12;
  EXPECT_NEAR(joint.value({0, n, d}), 1.69 + 406.4 / std::pow(n, 0.34) + 410.7 / std::pow(d, 0.28), 1e-12);
  EXPECT_NEAR(joint.log_value({0, n, d}), std::log(joint.value({0, n, d})), 1e-15);
}

TEST(Law, LogSumExpStaysFiniteFarOutsideTheData) {
  const Law saturating{LawForm::kSaturating, {0.2, 1e30, 2.0}};
  EXPECT_NEAR(saturating.log_value({1e-20, 0, 0}), std::log(1e30) + 40 * std::log(10.0), 1e-9)
      << "a·x^-alpha = 1e70 would still fit a double, its log must be exact";
  EXPECT_NEAR(saturating.value({1e300, 0, 0}), 0.2, 1e-15);
  const Law pure_power{LawForm::kSaturating, {0.0, 2.0, 1.0}};
  EXPECT_NEAR(pure_power.value({4, 0, 0}), 0.5, 1e-15) << "e_inf = 0 is a plain power law";
}

TEST(Law, NamesParametersAndParsesForms) {
  EXPECT_EQ(law_parameter_names(LawForm::kJoint), (std::vector<std::string>{"e", "a", "b", "alpha", "beta"}));
  EXPECT_EQ(law_parameter_count(LawForm::kSaturating), 3u);
  EXPECT_EQ(parse_law_form("saturating", "--law"), LawForm::kSaturating);
  EXPECT_EQ(Law({LawForm::kPower, {2.0, -0.1}}).param("alpha"), -0.1);
  try {
    parse_law_form("exp", "--law");
    FAIL() << "expected a UserError";
  } catch (const core::UserError& e) {
    EXPECT_NE(std::string(e.what()).find("--law = 'exp' is not a law. HINT: use power"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace clipscale::analysis
