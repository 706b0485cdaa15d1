#include "io/table.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/error.h"

namespace clipscale::io {
namespace {

TEST(Table, KeepsColumnsInTheOrderAdded) {
  Table t;
  t.add_string("b", {"x", "y"});
  t.add_int64("a", {1, 2});
  ASSERT_EQ(t.columns().size(), 2u);
  EXPECT_EQ(t.columns()[0].name, "b");
  EXPECT_EQ(t.columns()[1].name, "a");
  EXPECT_EQ(t.rows(), 2u);
  EXPECT_TRUE(t.has("a"));
  EXPECT_EQ(t.find("c"), nullptr);
}

TEST(Table, CellTextIsWhatTheCsvHolds) {
  Table t;
  t.add_float64("f", {1.0, 0.1, 1e300, std::numeric_limits<double>::quiet_NaN()});
  t.add_int64("i", {-3, 0, 7, 9});
  EXPECT_EQ(t.strings("f"), (std::vector<std::string>{"1.0", "0.1", "1e+300", ""}))
      << "integral floats keep '.0', NaN is an empty cell";
  EXPECT_EQ(t.strings("i"), (std::vector<std::string>{"-3", "0", "7", "9"}));
  EXPECT_EQ(t.numbers("i"), (std::vector<double>{-3, 0, 7, 9}));
  EXPECT_TRUE(std::isnan(t.numbers("f")[3]));
}

TEST(Table, MisuseFailsACheck) {
  Table t;
  t.add_int64("a", {1, 2});
  EXPECT_THROW(t.add_int64("a", {3, 4}), core::Error) << "a name taken";
  EXPECT_THROW(t.add_int64("", {3, 4}), core::Error) << "an empty name";
  EXPECT_THROW(t.add_int64("b", {3}), core::Error) << "another length";
  t.add_string("s", {"x", "y"});
  EXPECT_THROW(t.numbers("s"), core::Error) << "a string column has no numbers";
  EXPECT_THROW(t.numbers("missing"), core::Error);
}

}  // namespace
}  // namespace clipscale::io
