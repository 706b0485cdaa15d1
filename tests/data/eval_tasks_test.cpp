#include "data/eval_tasks.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "data/shard_writer.h"
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
  ShardWriter writer(dir.file("data"), 5);
  const char* names[] = {"cat", "dog", "owl"};
  for (uint64_t i = 0; i < 12; ++i) {
    ShardSample sample = testing::index_sample(i);
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
  EXPECT_EQ(shape.kind, EvalTaskKind::kZeroShot);
  EXPECT_EQ(shape.zero_shot.images.size(0), 12);
  const EvalTask retrieval = load_eval_task("retrieval", options);
  EXPECT_EQ(retrieval.kind, EvalTaskKind::kRetrieval);
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
  EXPECT_EQ(known_eval_tasks(options.tasks_dir).back(), "zeroshot_shape");
  EXPECT_FALSE(check_eval_task("animals", options.tasks_dir).has_value());
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
      EXPECT_EQ(a.retrieval.groups[static_cast<int64_t>(i)].item<int64_t>() == a.retrieval.groups[static_cast<int64_t>(j)].item<int64_t>(),
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

TEST(EvalTasks, BadTaskFilesNameFileLineKeyAndHint) {
  ScratchDir dir;
  const auto message_of = [&](const std::string& toml) {
    write_text(dir.file("bad.toml"), toml);
    try {
      find_eval_task(dir.file("bad.toml"));
    } catch (const core::UserError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  std::string m = message_of("schema_version = 1\nkind = \"zeroshot\"\nsource = \"shards:x.tar\"\ntemplates = [\"no slot\"]\n");
  EXPECT_NE(m.find("bad.toml:4: templates"), std::string::npos) << m;
  EXPECT_NE(m.find("HINT"), std::string::npos) << m;
  m = message_of("schema_version = 1\nkind = \"ranking\"\nsource = \"shards:x.tar\"\n");
  EXPECT_NE(m.find("bad.toml:2: kind = \"ranking\""), std::string::npos) << m;
  m = message_of("schema_version = 1\nkind = \"retrieval\"\nsource = \"shards:x.tar\"\ntempaltes = [\"{}\"]\n");
  EXPECT_NE(m.find("tempaltes is not a task-file key"), std::string::npos) << m;
  m = message_of("schema_version = 2\nkind = \"retrieval\"\nsource = \"shards:x.tar\"\n");
  EXPECT_NE(m.find("schema_version"), std::string::npos) << m;
  m = message_of("kind = [\n");
  EXPECT_NE(m.find("not valid TOML"), std::string::npos) << m;
  EXPECT_THROW(find_eval_task("no_such_task", dir.path().string()), core::UserError);
  EXPECT_TRUE(check_eval_task("no_such_task", dir.path().string()).has_value());
}

TEST(EvalTasks, TaskFilesRoundTripThroughTheirWriter) {
  ScratchDir dir;
  EvalTaskSpec spec;
  spec.kind = EvalTaskKind::kZeroShot;
  spec.description = "a \"quoted\" task";
  spec.source = "shards:${CLIPSCALE_DATA:-results/data}/x/{00000..00003}.tar";
  spec.classes = {"t-shirt", "ankle boot"};
  spec.templates = {"a photo of a {}."};
  spec.max_samples = 5;
  write_text(dir.file("rt.toml"), eval_task_toml(spec, "line one\nline two"));
  const EvalTaskSpec back = find_eval_task(dir.file("rt.toml"));
  EXPECT_EQ(back.name, "rt");
  EXPECT_EQ(back.description, spec.description);
  EXPECT_EQ(back.source, spec.source);
  EXPECT_EQ(back.classes, spec.classes);
  EXPECT_EQ(back.templates, spec.templates);
  EXPECT_EQ(back.max_samples, 5);
}

TEST(EvalTasks, TheCommittedTaskFilesParse) {
  const std::string dir = std::string(CLIPSCALE_SOURCE_DIR) + "/experiments/evals";
  const auto names = known_eval_tasks(dir);
  for (const char* name : {"icons_emoji", "icons_concepts", "icons_retrieval", "fashion_mnist"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
    EXPECT_NO_THROW(find_eval_task(name, dir)) << name;
  }
}

}  // namespace
}  // namespace clipscale::data
