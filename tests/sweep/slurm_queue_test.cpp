#include "sweep/slurm_queue.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"

namespace clipscale::sweep {
namespace {

TEST(IndexList, RangesAndSingles) {
  EXPECT_EQ(format_index_list({0, 1, 2, 3, 7, 9, 10, 11}), "0-3,7,9-11");
  EXPECT_EQ(format_index_list({5}), "5");
  EXPECT_EQ(format_index_list({4, 6}), "4,6");
  EXPECT_EQ(parse_index_list("0-3,7,9-11%2"), (std::vector<int64_t>{0, 1, 2, 3, 7, 9, 10, 11}));
  EXPECT_EQ(parse_index_list("3,1,1"), (std::vector<int64_t>{1, 3}));
  for (const char* bad : {"", "a", "3-1", "1,,2", "-4"}) EXPECT_THROW(parse_index_list(bad), core::UserError) << bad;
}

TEST(ParseSqueue, OneLinePerTaskAndPendingRangesExpanded) {
  // What `squeue -h -r -j 7,9 -o '%i|%T|%r'` prints while an array runs with %2 and a
  // requeued task waits; the collect job (no array) and another user's array are listed too.
  const std::string out =
      "7_1|RUNNING|None\n"
      "7_[2-3,5%2]|PENDING|JobArrayTaskLimit\n"
      "7_0|PENDING|BeginTime\n"
      "\n"
      "8|PENDING|Dependency\n"
      "9_4|COMPLETING|None\n"
      "12_0|RUNNING|None\n";
  const std::vector<SlurmTask> tasks = parse_squeue(out, {"7", "8", "9"});
  ASSERT_EQ(tasks.size(), 7u);
  EXPECT_EQ(tasks[0].job_id, "7");
  EXPECT_EQ(tasks[0].index, 1);
  EXPECT_EQ(tasks[0].state, "RUNNING");
  EXPECT_EQ(tasks[0].reason, "None");
  EXPECT_EQ(tasks[1].index, 2);
  EXPECT_EQ(tasks[2].index, 3);
  EXPECT_EQ(tasks[3].index, 5);
  EXPECT_EQ(tasks[3].reason, "JobArrayTaskLimit");
  EXPECT_EQ(tasks[4].index, 0);
  EXPECT_EQ(tasks[4].reason, "BeginTime");
  EXPECT_EQ(tasks[5].job_id, "8");
  EXPECT_EQ(tasks[5].index, -1);
  EXPECT_EQ(tasks[6].job_id, "9");
  EXPECT_EQ(tasks[6].state, "COMPLETING");
  EXPECT_EQ(parse_squeue(out).size(), 8u) << "no job filter keeps every line";
}

TEST(ParseSqueue, MalformedLinesAreReportedWithTheLine) {
  try {
    parse_squeue("7_1 RUNNING None\n");
    FAIL() << "expected a UserError";
  } catch (const core::UserError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot read squeue line '7_1 RUNNING None'"), std::string::npos);
  }
  EXPECT_THROW(parse_squeue("x_1|RUNNING|None\n"), core::UserError);
  EXPECT_THROW(parse_squeue("7_[1-|PENDING|None\n"), core::UserError);
}

}  // namespace
}  // namespace clipscale::sweep
