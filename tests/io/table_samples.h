// A table with every column kind and the cells CSV must quote, shared by the CSV and table
// file tests, and the comparison both use.
#pragma once

#include <gtest/gtest.h>

#include <limits>

#include "io/table.h"

namespace clipscale::testing {

inline io::Table sample_table() {
  io::Table t;
  t.add_string("run_id", {"a", "b,with comma", "c \"quoted\""});
  t.add_int64("seed", {1, -2, 3});
  t.add_float64("compute", {1.5e18, 0.1, std::numeric_limits<double>::quiet_NaN()});
  t.add_float64("zeroshot/top1", {0.25, 0.5, 0.75});
  t.add_float64("zeroshot/top5", {0.5, 0.75, 1.0});
  t.add_float64("a_last", {1, 2, 3});
  return t;
}

inline void expect_same(const io::Table& got, const io::Table& want) {
  ASSERT_EQ(got.rows(), want.rows());
  ASSERT_EQ(got.columns().size(), want.columns().size());
  for (size_t c = 0; c < want.columns().size(); ++c) {
    SCOPED_TRACE(want.columns()[c].name);
    EXPECT_EQ(got.columns()[c].name, want.columns()[c].name) << "columns keep their order";
    EXPECT_EQ(io::column_type_name(got.columns()[c].values), io::column_type_name(want.columns()[c].values));
    for (size_t r = 0; r < want.rows(); ++r) EXPECT_EQ(got.cell_text(c, r), want.cell_text(c, r));
  }
}

}  // namespace clipscale::testing
