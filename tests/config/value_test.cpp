#include "config/value.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "core/hash.h"

namespace clipscale::config {
namespace {

TEST(FormatValue, WritesFloatsThatLookLikeFloatsInFixedOrScientificNotation) {
  EXPECT_EQ(format_value(Value{1.0}), "1.0");
  EXPECT_EQ(format_value(Value{-3.0}), "-3.0");
  EXPECT_EQ(format_value(Value{0.001}), "0.001");
  EXPECT_EQ(format_value(Value{3e-4}), "0.0003");
  EXPECT_EQ(format_value(Value{123.25}), "123.25");
  EXPECT_EQ(format_value(Value{-0.0}), "-0.0");
  EXPECT_EQ(format_value(Value{1.5e15}), "1500000000000000.0");
  EXPECT_EQ(format_value(Value{1e16}), "1e+16");
  EXPECT_EQ(format_value(Value{-2.5e-5}), "-2.5e-05");
  EXPECT_EQ(format_value(Value{1e-8}), "1e-08");
  EXPECT_EQ(format_value(Value{0.1 + 0.2}), "0.30000000000000004");
  EXPECT_EQ(format_value(Value{std::numeric_limits<double>::infinity()}), "inf");
  EXPECT_EQ(format_value(Value{-std::numeric_limits<double>::infinity()}), "-inf");
  EXPECT_EQ(format_value(Value{std::nan("")}), "nan");
  EXPECT_EQ(format_value(Value{-std::nan("")}), "nan");
}

TEST(FormatValue, FloatTextReadsBackToTheSameDouble) {
  core::Rng rng(7);
  for (int i = 0; i < 2000; ++i) {
    // Spread over many magnitudes, both signs.
    const double x = (rng.uniform() - 0.5) * std::pow(10.0, rng.uniform(-30.0, 30.0));
    const std::string text = format_float(x);
    EXPECT_EQ(std::strtod(text.c_str(), nullptr), x) << text;
  }
  for (const double x : {0.1, 1e-4, 9.999999999999999e-5, 1e16, 9999999999999998.0, 5e-324, 1.7976931348623157e308}) {
    EXPECT_EQ(std::strtod(format_float(x).c_str(), nullptr), x) << format_float(x);
  }
}

TEST(FormatValue, WritesScalarsAndLists) {
  EXPECT_EQ(format_value(Value{true}), "true");
  EXPECT_EQ(format_value(Value{false}), "false");
  EXPECT_EQ(format_value(Value{int64_t{-4000}}), "-4000");
  EXPECT_EQ(format_value(Value{std::numeric_limits<int64_t>::max()}), "9223372036854775807");
  EXPECT_EQ(format_value(Value{std::string("synth:shapes")}), "\"synth:shapes\"");
  EXPECT_EQ(format_value(Value{std::vector<std::string>{"a", "b c"}}), "[\"a\", \"b c\"]");
  EXPECT_EQ(format_value(Value{std::vector<std::string>{}}), "[]");
}

TEST(FormatString, EscapesWhatTomlBasicStringsCannotHold) {
  EXPECT_EQ(format_string("say \"hi\"\\"), R"("say \"hi\"\\")");
  EXPECT_EQ(format_string("a\tb\nc\r"), R"("a\tb\nc\r")");
  EXPECT_EQ(format_string(std::string("x\x01y\x7f", 4)), R"("x\u0001y\u007F")");
  EXPECT_EQ(format_string("Zürich"), "\"Zürich\"");  // UTF-8 passes through
}

TEST(ValueType, TypeOfFollowsTheVariantAlternative) {
  EXPECT_EQ(type_of(Value{true}), ValueType::kBool);
  EXPECT_EQ(type_of(Value{int64_t{1}}), ValueType::kInt);
  EXPECT_EQ(type_of(Value{1.5}), ValueType::kFloat);
  EXPECT_EQ(type_of(Value{std::string("x")}), ValueType::kString);
  EXPECT_EQ(type_of(Value{std::vector<std::string>{}}), ValueType::kStringList);
  EXPECT_EQ(type_name(ValueType::kStringList), "string list");
  EXPECT_EQ(type_name(ValueType::kFloat), "float");
}

TEST(ConvertValue, WidensIntsAndMovesBetweenTheTwoListTypes) {
  EXPECT_EQ(convert_value(Value{int64_t{3}}, ValueType::kFloat), Value{3.0});
  EXPECT_FALSE(convert_value(Value{3.5}, ValueType::kInt));
  EXPECT_EQ(convert_value(Value{ValueList{std::string("a"), std::string("b")}}, ValueType::kStringList),
            (Value{std::vector<std::string>{"a", "b"}}));
  EXPECT_FALSE(convert_value(Value{ValueList{std::string("a"), int64_t{1}}}, ValueType::kStringList));
  EXPECT_EQ(list_items(Value{std::vector<std::string>{"x"}}), (ValueList{std::string("x")}));
  EXPECT_FALSE(list_items(Value{true}));
  EXPECT_EQ(format_value(Value{ValueList{int64_t{1}, 2.5, std::vector<std::string>{"a"}}}), "[1, 2.5, [\"a\"]]");
}

}  // namespace
}  // namespace clipscale::config
