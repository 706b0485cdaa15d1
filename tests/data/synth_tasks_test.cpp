#include "data/synth_tasks.h"

#include "core/error.h"
#include "data/sample_source.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace clipscale::data {
namespace {

SynthShapes synth() {
  SynthOptions options;
  options.image_size = 16;
  return SynthShapes(options);
}

TEST(SynthTasks, ZeroShotTasksAreBalancedAndShaped) {
  const auto shape = make_shape_task(synth(), 60);
  EXPECT_EQ(shape.class_names.size(), 6u);
  EXPECT_EQ(shape.images.sizes(), (std::vector<int64_t>{60, 3, 16, 16}));
  EXPECT_EQ(torch::bincount(shape.labels).min().item<int64_t>(), 10);
  const auto color = make_color_task(synth(), 64);
  EXPECT_EQ(color.class_names.size(), 8u);
  EXPECT_EQ(torch::bincount(color.labels).min().item<int64_t>(), 8);
  for (const auto& t : color.templates) EXPECT_NE(t.find("{}"), std::string::npos);
}

TEST(SynthTasks, RetrievalGroupsIdenticalCaptions) {
  const auto task = make_retrieval_task(synth(), 300);
  ASSERT_EQ(task.captions.size(), 300u);
  for (int64_t i = 0; i < 300; ++i)
    for (int64_t j = i + 1; j < 300; ++j)
      EXPECT_EQ(task.captions[i] == task.captions[j], task.groups[i].item<int64_t>() == task.groups[j].item<int64_t>());
}

TEST(SynthTasks, TrainingPoolsCannotReachTheEvaluationIdRange) {
  SourceOptions options;
  options.pool_size = kEvalIdBase;
  EXPECT_NO_THROW(open_source(options));
  options.pool_size = kEvalIdBase + 1;
  EXPECT_THROW(open_source(options), core::UserError);
}

TEST(SynthTasks, UnknownTaskIsAUserError) {
  EXPECT_THROW(make_zero_shot_task(synth(), "zeroshot_texture", 10), core::UserError);
}

}  // namespace
}  // namespace clipscale::data
