#include "data/eval_tasks.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "convert/shard_writer.h"
#include "core/error.h"
#include "shard_fixtures.h"
#include "support/process.h"
#include "support/scratch_dir.h"

namespace clipscale::data {
namespace {

using clipscale::testing::ScratchDir;
using clipscale::testing::write_text;

/// Shards of 12 samples labelled "cat" / "dog" / "owl" (i % 3) in key.json, and the captions
/// "a cat" etc.
std::string write_labelled_shards(const ScratchDir& dir) {
  convert::ShardWriter writer(dir.file("data"), 5);
  const char* names[] = {"cat", "dog", "owl"};
  for (uint64_t i = 0; i < 12; ++i) {
    convert::ShardSample sample = testing::index_sample(i);
    sample.members[1].second = std::string("a ") + names[i % 3];
    sample.members[2].second = std::string("{\"label\": \"") + names[i % 3] + "\"}";
    writer.write(sample);
  }
  return writer.finish();
}

TEST(EvalTasks, BuiltInTasksKeepTheirNames) {
  EvalTaskOptions options;
  options.image_size = 16;
  options.zeroshot_size = 12;
  options.retrieval_size = 10;
  const EvalTask shape = load_eval_task("zeroshot_shape", options);
  EXPECT_EQ(shape.kind, spec::EvalTaskKind::kZeroShot);
  EXPECT_EQ(shape.zero_shot.images.size(0), 12);
  const EvalTask retrieval = load_eval_task("retrieval", options);
  EXPECT_EQ(retrieval.kind, spec::EvalTaskKind::kRetrieval);
  EXPECT_EQ(retrieval.retrieval.captions.size(), 10u);
}

TEST(EvalTasks, AZeroShotTaskFileLoadsItsShardsWithLabelsFromJson) {
  ScratchDir dir;
  const std::string pattern = write_labelled_shards(dir);
  write_text(dir.path() / "evals" / "animals.toml",
             "schema_version = 1\nkind = \"zeroshot\"\nsource = \"shards:" + pattern +
                 "\"\nclasses = [\"owl\", \"cat\", \"dog\"]\ntemplates = [\"a {}\", \"{} photo\"]\n");
  EvalTaskOptions options;
  options.image_size = 8;
  options.tasks_dir = dir.file("evals");
  EXPECT_EQ(spec::known_eval_tasks(options.tasks_dir).back(), "zeroshot_shape");
  EXPECT_FALSE(spec::check_eval_task("animals", options.tasks_dir).has_value());
  const EvalTask task = load_eval_task("animals", options);
  EXPECT_EQ(task.name, "animals");
  ASSERT_EQ(task.zero_shot.images.sizes(), (std::vector<int64_t>{12, 3, 8, 8}));
  EXPECT_EQ(task.zero_shot.class_names, (std::vector<std::string>{"owl", "cat", "dog"}));
  for (int64_t i = 0; i < 12; ++i) {
    EXPECT_EQ(testing::tensor_index(task.zero_shot.images, i), static_cast<uint64_t>(i));
    EXPECT_EQ(task.zero_shot.labels[i].item<int64_t>(), (i % 3 + 1) % 3);  // cat → 1, dog → 2, owl → 0
  }
}

TEST(EvalTasks, RetrievalTasksGroupIdenticalCaptionsAndMaxSamplesPicksAFixedSubset) {
  ScratchDir dir;
  const std::string pattern = write_labelled_shards(dir);
  const std::string file = dir.file("pairs.toml");
  write_text(file, "schema_version = 1\nkind = \"retrieval\"\nsource = \"shards:" + pattern + "\"\nmax_samples = 7\n");
  EvalTaskOptions options;
  options.image_size = 8;
  const EvalTask a = load_eval_task(file, options), b = load_eval_task(file, options);
  EXPECT_EQ(a.name, "pairs");
  ASSERT_EQ(a.retrieval.captions.size(), 7u);
  EXPECT_EQ(a.retrieval.captions, b.retrieval.captions);
  EXPECT_TRUE(torch::equal(a.retrieval.images, b.retrieval.images));
  for (size_t i = 0; i < 7; ++i)
    for (size_t j = 0; j < 7; ++j)
      EXPECT_EQ(a.retrieval.groups[static_cast<int64_t>(i)].item<int64_t>() ==
                    a.retrieval.groups[static_cast<int64_t>(j)].item<int64_t>(),
                a.retrieval.captions[i] == a.retrieval.captions[j]);
}

TEST(EvalTasks, WithoutClassesTheLabelsFoundAreTheClassesAndUnknownLabelsAreErrors) {
  ScratchDir dir;
  const std::string pattern = write_labelled_shards(dir);
  write_text(dir.file("t.toml"), "schema_version = 1\nkind = \"zeroshot\"\nsource = \"shards:" + pattern +
                                     "\"\nlabel = \"txt\"\ntemplates = [\"{}\"]\n");
  EvalTaskOptions options;
  options.image_size = 8;
  EXPECT_EQ(load_eval_task(dir.file("t.toml"), options).zero_shot.class_names,
            (std::vector<std::string>{"a cat", "a dog", "a owl"}));
  write_text(dir.file("u.toml"), "schema_version = 1\nkind = \"zeroshot\"\nsource = \"shards:" + pattern +
                                     "\"\nclasses = [\"cat\", \"dog\"]\ntemplates = [\"{}\"]\n");
  EXPECT_THROW(load_eval_task(dir.file("u.toml"), options), core::UserError);
}

}  // namespace
}  // namespace clipscale::data
