#include "sweep/filter.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "core/error.h"

namespace clipscale::sweep {
namespace {

const std::map<std::string, FilterType> kTypes = {{"train.samples_seen", FilterType::kNumber},
                                                  {"data.data_size", FilterType::kNumber},
                                                  {"model", FilterType::kString},
                                                  {"optim.amsgrad", FilterType::kBool},
                                                  {"compute", FilterType::kNumber}};

FilterValue lookup(const std::string& name) {
  static const std::map<std::string, FilterValue> values = {{"train.samples_seen", 32000.0},
                                                            {"data.data_size", 64000.0},
                                                            {"model", std::string("clip-w64-l2")},
                                                            {"optim.amsgrad", false},
                                                            {"compute", 3.5e14}};
  return values.at(name);
}

bool holds(const std::string& text) {
  return FilterRule::parse(text, "f.toml:3: filter.skip_if[0]", kTypes).holds(lookup);
}

std::string error_of(const std::string& text) {
  try {
    FilterRule::parse(text, "f.toml:3: filter.skip_if[0]", kTypes);
  } catch (const core::UserError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a UserError for " << text;
  return "";
}

TEST(FilterRule, ComparesNumbersNamesAndLiterals) {
  EXPECT_TRUE(holds("train.samples_seen < data.data_size"));
  EXPECT_FALSE(holds("train.samples_seen >= data.data_size"));
  EXPECT_TRUE(holds("compute > 2e14"));
  EXPECT_TRUE(holds("32000 == train.samples_seen"));
  EXPECT_TRUE(holds("train.samples_seen <= 32000"));
  EXPECT_TRUE(holds("train.samples_seen != -1"));
}

TEST(FilterRule, ComparesStringsAndBooleansForEquality) {
  EXPECT_TRUE(holds("model == \"clip-w64-l2\""));
  EXPECT_TRUE(holds("model == 'clip-w64-l2'"));
  EXPECT_TRUE(holds("model != \"clip-w96-l3\""));
  EXPECT_TRUE(holds("optim.amsgrad == false"));
}

TEST(FilterRule, AndNeedsEveryComparison) {
  EXPECT_TRUE(holds("model == \"clip-w64-l2\" and train.samples_seen < 64000"));
  EXPECT_FALSE(holds("model == \"clip-w64-l2\" and train.samples_seen > 64000"));
}

TEST(FilterRule, ListsTheNamesItReads) {
  const FilterRule rule = FilterRule::parse("compute > 1 and model == \"x\" and compute < 9", "w", kTypes);
  EXPECT_EQ(rule.names(), (std::vector<std::string>{"compute", "model"}));
  EXPECT_EQ(rule.text(), "compute > 1 and model == \"x\" and compute < 9");
}

TEST(FilterRule, UnknownNameSuggestsTheClosest) {
  EXPECT_EQ(error_of("train.sample_seen < 5"),
            "f.toml:3: filter.skip_if[0] = \"train.sample_seen < 5\": unknown name 'train.sample_seen' (column 1). "
            "HINT: did you mean 'train.samples_seen'?");
}

TEST(FilterRule, TypeMismatchesAreReportedWhenRead) {
  EXPECT_NE(error_of("model < 5").find("compares a string with a number (column 1)"), std::string::npos);
  EXPECT_NE(error_of("model < \"a\"").find("orders a string with '<'"), std::string::npos);
  EXPECT_NE(error_of("optim.amsgrad == 1").find("compares a boolean with a number"), std::string::npos);
}

TEST(FilterRule, SyntaxErrorsGiveTheColumn) {
  EXPECT_NE(error_of("compute >").find("the rule ends where a value was expected (column 10)"), std::string::npos);
  EXPECT_NE(error_of("compute 5").find("expected a comparison (==, !=, <, <=, >, >=), found '5' (column 9)"),
            std::string::npos);
  EXPECT_NE(
      error_of("compute > 5 or compute < 1").find("expected 'and' or the end of the rule, found 'or' (column 13)"),
      std::string::npos);
  EXPECT_NE(error_of("model == \"x").find("unterminated string (column 10)"), std::string::npos);
  EXPECT_NE(error_of("compute => 5").find("unexpected '='"), std::string::npos);
  EXPECT_NE(error_of("").find("the rule ends where a value was expected (column 1)"), std::string::npos);
}

}  // namespace
}  // namespace clipscale::sweep
