#include "spec/eval_task_spec.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/error.h"
#include "support/process.h"
#include "support/scratch_dir.h"

namespace clipscale::spec {
namespace {

using clipscale::testing::ScratchDir;
using clipscale::testing::write_text;

TEST(EvalTaskSpec, BadTaskFilesNameFileLineKeyAndHint) {
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
  std::string m =
      message_of("schema_version = 1\nkind = \"zeroshot\"\nsource = \"shards:x.tar\"\ntemplates = [\"no slot\"]\n");
  EXPECT_NE(m.find("bad.toml:4: templates"), std::string::npos) << m;
  EXPECT_NE(m.find("HINT"), std::string::npos) << m;
  m = message_of("schema_version = 1\nkind = \"ranking\"\nsource = \"shards:x.tar\"\n");
  EXPECT_NE(m.find("bad.toml:2: kind = \"ranking\""), std::string::npos) << m;
  m = message_of("schema_version = 1\nkind = \"retrieval\"\nsource = \"shards:x.tar\"\ntempaltes = [\"{}\"]\n");
  EXPECT_NE(m.find("unknown key 'tempaltes'. HINT: did you mean 'templates'?"), std::string::npos) << m;
  m = message_of("schema_version = 2\nkind = \"retrieval\"\nsource = \"shards:x.tar\"\n");
  EXPECT_NE(m.find("schema_version"), std::string::npos) << m;
  m = message_of("kind = [\n");
  EXPECT_NE(m.find("TOML syntax error"), std::string::npos) << m;
  EXPECT_THROW(find_eval_task("no_such_task", dir.path().string()), core::UserError);
  EXPECT_TRUE(check_eval_task("no_such_task", dir.path().string()).has_value());
}

TEST(EvalTaskSpec, TaskFilesRoundTripThroughTheirWriter) {
  ScratchDir dir;
  EvalTaskSpec task;
  task.kind = EvalTaskKind::kZeroShot;
  task.description = "a \"quoted\" task";
  task.source = "shards:${CLIPSCALE_DATA:-results/data}/x/{00000..00003}.tar";
  task.classes = {"t-shirt", "ankle boot"};
  task.templates = {"a photo of a {}."};
  task.max_samples = 5;
  write_text(dir.file("rt.toml"), eval_task_toml(task, "line one\nline two"));
  const EvalTaskSpec back = find_eval_task(dir.file("rt.toml"));
  EXPECT_EQ(back.name, "rt");
  EXPECT_EQ(back.description, task.description);
  EXPECT_EQ(back.source, task.source);
  EXPECT_EQ(back.classes, task.classes);
  EXPECT_EQ(back.templates, task.templates);
  EXPECT_EQ(back.max_samples, 5);
}

TEST(EvalTaskSpec, TheCommittedTaskFilesParse) {
  const std::string dir = std::string(CLIPSCALE_SOURCE_DIR) + "/experiments/evals";
  const auto names = known_eval_tasks(dir);
  for (const char* name : {"icons_emoji", "icons_concepts", "icons_retrieval", "fashion_mnist"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
    EXPECT_NO_THROW(find_eval_task(name, dir)) << name;
  }
}

}  // namespace
}  // namespace clipscale::spec
