#include "config/document.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "core/error.h"

namespace clipscale::config {
namespace {

namespace fs = std::filesystem;

Schema run_schema() {
  Schema schema;
  schema.add_int("seed", 0, "random seed of the run", /*min=*/0)
      .add_string("model.config", std::nullopt, "path of the OpenCLIP model JSON")
      .add_string("model.loss", "clip", "contrastive loss", {"clip", "siglip"})
      .add_float("optim.lr", 1e-3, "peak learning rate after warm-up", /*min=*/0.0, std::nullopt,
                 /*min_exclusive=*/true)
      .add_float("optim.weight_decay", 0.1, "AdamW decoupled weight decay", /*min=*/0.0)
      .add_bool("optim.amsgrad", false, "use the AMSGrad variant of Adam")
      .add_int("train.global_batch_size", 256, "images per optimizer step over all ranks", /*min=*/1)
      .add_string("data.source", "synth:", "sample source: synth:<name> or a shard pattern")
      .add_string_list("eval.tasks", std::vector<std::string>{"synth-zeroshot"}, "evaluation tasks run after training");
  return schema;
}

// Each test writes its TOML files into its own temporary folder.
class DocumentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("clipscale_config_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  // The message of the UserError that loading throws ("" and a test failure when it loads).
  std::string load_error(const std::string& path, const std::vector<std::string>& overrides = {}) {
    try {
      Document::load(schema_, path, overrides);
    } catch (const core::UserError& e) {
      return e.what();
    }
    ADD_FAILURE() << "expected a UserError from loading " << path;
    return "";
  }

  Schema schema_ = run_schema();
  fs::path dir_;
};

// ---- provenance ---------------------------------------------------------------------------

TEST_F(DocumentTest, RecordsFileAndLineOfEveryFileValue) {
  const std::string path = write("run.toml",
                                 "# tiny run\n"                         // 1
                                 "seed = 7\n"                           // 2
                                 "\n"                                   // 3
                                 "[model]\n"                            // 4
                                 "config = \"models/ViT-B-32.json\"\n"  // 5
                                 "\n"                                   // 6
                                 "[optim]\n"                            // 7
                                 "lr = 3e-4\n"                          // 8
                                 "amsgrad = true\n"                     // 9
                                 "[eval]\n"                             // 10
                                 "tasks = [\n"                          // 11
                                 "  \"a\",\n"                           // 12
                                 "]\n");                                // 13
  const Document doc = Document::load(schema_, path);
  EXPECT_EQ(doc.get_int("seed"), 7);
  EXPECT_EQ(doc.get_string("model.config"), "models/ViT-B-32.json");
  EXPECT_EQ(doc.get_float("optim.lr"), 3e-4);
  EXPECT_TRUE(doc.get_bool("optim.amsgrad"));
  EXPECT_EQ(doc.get_string_list("eval.tasks"), std::vector<std::string>{"a"});
  EXPECT_EQ(doc.source("seed"), Source::from_file(path, 2));
  EXPECT_EQ(doc.source("model.config"), Source::from_file(path, 5));
  EXPECT_EQ(doc.source("optim.lr"), Source::from_file(path, 8));
  EXPECT_EQ(doc.source("optim.amsgrad"), Source::from_file(path, 9));
  EXPECT_EQ(doc.source("eval.tasks"), Source::from_file(path, 11));  // a multi-line array: its key's line
  EXPECT_EQ(doc.source("optim.lr").describe(), path + ":8");
}

TEST_F(DocumentTest, ForeignSectionsAreLeftToTheCaller) {
  const std::string path = write("sweep.toml",
                                 "[model]\nconfig = \"m.json\"\n"
                                 "[axes]\nmodel.config = [\"a.json\", \"b.json\"]\nwhatever = 1\n");
  EXPECT_NE(load_error(path).find("unknown key 'axes.model.config'"), std::string::npos);
  const Document doc = Document::load(schema_, path, {}, {"axes"});
  EXPECT_EQ(doc.get_string("model.config"), "m.json");
}

TEST_F(DocumentTest, FillsDefaultsForKeysTheFileLeavesOut) {
  const std::string path = write("run.toml", "[model]\nconfig = \"m.json\"\n");
  const Document doc = Document::load(schema_, path);
  EXPECT_EQ(doc.get_float("optim.weight_decay"), 0.1);
  EXPECT_EQ(doc.get_string("data.source"), "synth:");
  EXPECT_EQ(doc.get_string_list("eval.tasks"), std::vector<std::string>{"synth-zeroshot"});
  EXPECT_EQ(doc.source("optim.weight_decay"), Source::from_default());
  EXPECT_EQ(doc.source("optim.weight_decay").describe(), "default");
}

TEST_F(DocumentTest, OverrideBeatsTheFileAndIsRecorded) {
  const std::string path = write("run.toml", "[model]\nconfig = \"m.json\"\n[optim]\nlr = 3e-4\n");
  const Document doc = Document::load(schema_, path, {"optim.lr=1e-2", "seed=3"});
  EXPECT_EQ(doc.get_float("optim.lr"), 1e-2);
  EXPECT_EQ(doc.source("optim.lr"), Source::from_override("optim.lr=1e-2"));
  EXPECT_EQ(doc.source("optim.lr").describe(), "--set optim.lr=1e-2");
  EXPECT_EQ(doc.source("seed").describe(), "--set seed=3");
  EXPECT_EQ(doc.source("model.config"), Source::from_file(path, 2));
}

TEST_F(DocumentTest, LaterOverrideOfTheSameKeyWins) {
  const Document doc = Document::load(schema_, "", {"model.config=m.json", "seed=1", "seed=2"});
  EXPECT_EQ(doc.get_int("seed"), 2);
  EXPECT_EQ(doc.source("seed").describe(), "--set seed=2");
}

TEST_F(DocumentTest, EmptyPathMeansDefaultsAndOverridesOnly) {
  const Document doc = Document::load(schema_, "", {"model.config=m.json"});
  EXPECT_EQ(doc.get_int("seed"), 0);
  EXPECT_EQ(doc.source("seed"), Source::from_default());
  EXPECT_EQ(load_error(""),
            "(no config file): missing required key 'model.config'. HINT: path of the OpenCLIP model JSON.");
}

// ---- types ----------------------------------------------------------------------------------

TEST_F(DocumentTest, AcceptsIntegersForFloatKeysAsDoubles) {
  const std::string path = write("run.toml", "[model]\nconfig = \"m.json\"\n[optim]\nweight_decay = 0\nlr = 1\n");
  const Document doc = Document::load(schema_, path);
  EXPECT_EQ(doc.value("optim.weight_decay"), Value{0.0});
  EXPECT_EQ(doc.value("optim.lr"), Value{1.0});
}

TEST_F(DocumentTest, RejectsFloatsForIntKeys) {
  const std::string path = write("run.toml", "[model]\nconfig = \"m.json\"\n[train]\nglobal_batch_size = 256.0\n");
  EXPECT_EQ(load_error(path), path +
                                  ":4: train.global_batch_size = 256.0 has type float, expected int. HINT: write an "
                                  "int, e.g. train.global_batch_size = 256.");
}

TEST_F(DocumentTest, RejectsArraysOfNonStringsForStringListKeys) {
  const std::string path = write("run.toml", "[model]\nconfig = \"m.json\"\n[eval]\ntasks = [1, 2]\n");
  EXPECT_EQ(load_error(path), path +
                                  ":4: eval.tasks = [1, 2] has type array of int, expected string list. HINT: write a "
                                  "string list, e.g. eval.tasks = [\"synth-zeroshot\"].");
}

TEST_F(DocumentTest, ReportsATableWhereAValueBelongs) {
  const std::string path = write("run.toml", "[model]\nconfig = \"m.json\"\n[optim.lr]\nx = 1\n");
  EXPECT_EQ(load_error(path), path +
                                  ":3: optim.lr = { x = 1 } has type table, expected float. HINT: write a float, e.g. "
                                  "optim.lr = 0.001.");
}

// ---- error message shapes (whole strings) ---------------------------------------------------

TEST_F(DocumentTest, OutOfRangeValueNamesFileLineRuleAndDoc) {
  const std::string path = write("run.toml", "[model]\nconfig = \"m.json\"\n\n[optim]\nlr = -0.1\n");
  EXPECT_EQ(load_error(path),
            path + ":5: optim.lr = -0.1 violates optim.lr > 0. HINT: peak learning rate after warm-up.");
}

TEST_F(DocumentTest, UnknownKeySuggestsTheClosestKnownKey) {
  const std::string path = write("run.toml", "[model]\nconfig = \"m.json\"\n[optim]\nlr = 1e-3\nlrr = 1e-3\n");
  EXPECT_EQ(load_error(path), path + ":5: unknown key 'optim.lrr'. HINT: did you mean 'optim.lr'?");
}

TEST_F(DocumentTest, UnknownKeyWithNothingCloseListsTheSectionsKeys) {
  const std::string path = write("run.toml", "[model]\nconfig = \"m.json\"\n[optim]\nmomentum = 0.9\n");
  EXPECT_EQ(load_error(path), path +
                                  ":4: unknown key 'optim.momentum'. HINT: known keys in [optim] are optim.lr, "
                                  "optim.weight_decay, optim.amsgrad.");
}

TEST_F(DocumentTest, UnknownSectionListsTheKnownSections) {
  const std::string path = write("run.toml", "[model]\nconfig = \"m.json\"\n[schedule]\nwarmup = 10\n");
  EXPECT_EQ(load_error(path), path +
                                  ":4: unknown key 'schedule.warmup'. HINT: known sections are [model], [optim], "
                                  "[train], [data], [eval]; known top-level keys are seed.");
}

TEST_F(DocumentTest, WrongTypeNamesFoundAndExpectedTypes) {
  const std::string path = write("run.toml", "[model]\nconfig = \"m.json\"\n[optim]\nweight_decay = \"high\"\n");
  EXPECT_EQ(load_error(path), path +
                                  ":4: optim.weight_decay = \"high\" has type string, expected float. HINT: write a "
                                  "float, e.g. optim.weight_decay = 0.1.");
}

TEST_F(DocumentTest, ValueNotAmongChoicesSuggestsTheClosestChoice) {
  const std::string path = write("run.toml", "[model]\nconfig = \"m.json\"\nloss = \"siglp\"\n");
  EXPECT_EQ(load_error(path), path +
                                  ":3: model.loss = \"siglp\" violates model.loss in [\"clip\", \"siglip\"]. HINT: did "
                                  "you mean \"siglip\"?");
}

TEST_F(DocumentTest, MissingRequiredKeyNamesTheFileAndTheKeysDoc) {
  const std::string path = write("run.toml", "seed = 1\n");
  EXPECT_EQ(load_error(path), path + ": missing required key 'model.config'. HINT: path of the OpenCLIP model JSON.");
}

TEST_F(DocumentTest, OverrideErrorsNameTheOverride) {
  const std::string path = write("run.toml", "[model]\nconfig = \"m.json\"\n");
  EXPECT_EQ(load_error(path, {"optim.lr=abc"}),
            "--set optim.lr=abc: optim.lr = abc is not a float. HINT: write a float, e.g. --set optim.lr=0.001.");
  EXPECT_EQ(load_error(path, {"optim.lrr=1e-3"}),
            "--set optim.lrr=1e-3: unknown key 'optim.lrr'. HINT: did you mean 'optim.lr'?");
  EXPECT_EQ(load_error(path, {"optim.amsgrad=1"}),
            "--set optim.amsgrad=1: optim.amsgrad = 1 has type int, expected bool. HINT: write a bool, e.g. --set "
            "optim.amsgrad=false.");
  EXPECT_EQ(load_error(path, {"optim.lr=-1.0"}),
            "--set optim.lr=-1.0: optim.lr = -1.0 violates optim.lr > 0. HINT: peak learning rate after warm-up.");
  EXPECT_EQ(load_error(path, {"optim.lr"}),
            "--set optim.lr: expected key=value. HINT: write a float, e.g. --set optim.lr=0.001.");
  EXPECT_EQ(load_error(path, {"eval.tasks=a,b"}),
            "--set eval.tasks=a,b: eval.tasks = a,b is not a string list. HINT: write a string list, e.g. --set "
            "'eval.tasks=[\"synth-zeroshot\"]'.");
}

TEST_F(DocumentTest, ReportsEveryProblemInOneThrowInFileThenOverrideOrder) {
  const std::string path = write("run.toml",
                                 "seed = -1\n"                // 1
                                 "[train]\n"                  // 2
                                 "global_batch_size = 0\n"    // 3
                                 "[optim]\n"                  // 4
                                 "weight_decay = \"high\"\n"  // 5
                                 "lrr = 1e-3\n");             // 6
  EXPECT_EQ(load_error(path, {"optim.lr=abc", "data.sorce=x"}),
            path + ":1: seed = -1 violates seed >= 0. HINT: random seed of the run.\n" + path +
                ":3: train.global_batch_size = 0 violates train.global_batch_size >= 1. HINT: images per optimizer "
                "step over all ranks.\n" +
                path +
                ":5: optim.weight_decay = \"high\" has type string, expected float. HINT: write a float, e.g. "
                "optim.weight_decay = 0.1.\n" +
                path + ":6: unknown key 'optim.lrr'. HINT: did you mean 'optim.lr'?\n" +
                "--set optim.lr=abc: optim.lr = abc is not a float. HINT: write a float, e.g. --set optim.lr=0.001.\n"
                "--set data.sorce=x: unknown key 'data.sorce'. HINT: did you mean 'data.source'?\n" +
                path + ": missing required key 'model.config'. HINT: path of the OpenCLIP model JSON.");
}

TEST_F(DocumentTest, OverrideCanFixAnOutOfRangeFileValue) {
  const std::string path = write("run.toml", "[model]\nconfig = \"m.json\"\n[optim]\nlr = -1.0\n");
  const Document doc = Document::load(schema_, path, {"optim.lr=0.01"});
  EXPECT_EQ(doc.get_float("optim.lr"), 0.01);
}

TEST_F(DocumentTest, SyntaxErrorGivesLineColumnAndHintAndNothingElse) {
  const std::string path = write("run.toml", "seed = 7\n[optim\nlr = 1\n");
  const std::string message = load_error(path);
  EXPECT_EQ(message.rfind(path + ":2:", 0), 0u) << message;
  EXPECT_NE(message.find(": TOML syntax error: "), std::string::npos) << message;
  EXPECT_NE(message.find(". HINT: "), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << "a broken file reports no missing keys: " << message;
}

TEST_F(DocumentTest, MissingFileNamesThePath) {
  const std::string cwd = fs::current_path().string();
  EXPECT_EQ(load_error("no/such/dir/run.toml"),
            "no/such/dir/run.toml: config file not found. HINT: check the path; relative paths start at " + cwd + ".");
  EXPECT_EQ(load_error(dir_.string()), dir_.string() +
                                           ": is a directory, expected a TOML config file. HINT: give the path of "
                                           "the .toml file.");
}

// ---- overrides --------------------------------------------------------------------------------

TEST_F(DocumentTest, OverrideValuesAreReadAsTomlValues) {
  const Document doc = Document::load(schema_, "",
                                      {"model.config=m.json", "optim.amsgrad=true", "train.global_batch_size=512",
                                       "optim.lr=1e-3", "optim.weight_decay=0", "eval.tasks=[\"a\", 'b']"});
  EXPECT_EQ(doc.value("optim.amsgrad"), Value{true});
  EXPECT_EQ(doc.value("train.global_batch_size"), Value{int64_t{512}});
  EXPECT_EQ(doc.value("optim.lr"), Value{0.001});
  EXPECT_EQ(doc.value("optim.weight_decay"), Value{0.0});  // an int for a float key
  EXPECT_EQ(doc.get_string_list("eval.tasks"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(Document::load(schema_, "", {"model.config=m", "eval.tasks=[]"}).get_string_list("eval.tasks").empty());
}

TEST_F(DocumentTest, StringOverrideTakesUnquotedTextVerbatim) {
  const auto loaded = [&](const std::string& override_text) {
    return Document::load(schema_, "", {"model.config=m.json", override_text}).get_string("data.source");
  };
  EXPECT_EQ(loaded("data.source=synth:shapes"), "synth:shapes");
  EXPECT_EQ(loaded("data.source=\"synth:shapes\""), "synth:shapes");
  EXPECT_EQ(loaded("data.source=\"with space\""), "with space");
  EXPECT_EQ(loaded("data.source=/data/shards/{00000..00099}.tar"), "/data/shards/{00000..00099}.tar");
  EXPECT_EQ(loaded("data.source=123"), "123");  // a number is still the text the user typed
  EXPECT_EQ(loaded("data.source=a=b"), "a=b");  // only the first '=' splits
  EXPECT_EQ(loaded("data.source="), "");
  EXPECT_EQ(Document::load(schema_, "", {" model.config = m.json "}).get_string("model.config"), "m.json");
}

TEST_F(DocumentTest, OverrideTextHoldsExactlyOneValue) {
  EXPECT_EQ(load_error("", {"model.config=m", "optim.lr=1\nseed = 3"}),
            "--set optim.lr=1\nseed = 3: optim.lr = 1\nseed = 3 is not a float. HINT: write a float, e.g. --set "
            "optim.lr=0.001.");
}

// ---- to_toml ------------------------------------------------------------------------------------

TEST_F(DocumentTest, ToTomlGroupsBySectionInSchemaOrder) {
  const std::string good = write("good.toml", "seed = 7\n[model]\nconfig = \"m.json\"\n");
  const Document doc = Document::load(schema_, good, {"optim.lr=3e-4"});
  EXPECT_EQ(doc.to_toml(false),
            "seed = 7\n"
            "\n"
            "[model]\n"
            "config = \"m.json\"\n"
            "loss = \"clip\"\n"
            "\n"
            "[optim]\n"
            "lr = 0.0003\n"
            "weight_decay = 0.1\n"
            "amsgrad = false\n"
            "\n"
            "[train]\n"
            "global_batch_size = 256\n"
            "\n"
            "[data]\n"
            "source = \"synth:\"\n"
            "\n"
            "[eval]\n"
            "tasks = [\"synth-zeroshot\"]\n");
  EXPECT_EQ(doc.to_toml(true), "seed = 7  # " + good + ":1\n" +
                                   "\n"
                                   "[model]\n"
                                   "config = \"m.json\"  # " +
                                   good + ":3\n" +
                                   "loss = \"clip\"  # default\n"
                                   "\n"
                                   "[optim]\n"
                                   "lr = 0.0003  # --set optim.lr=3e-4\n"
                                   "weight_decay = 0.1  # default\n"
                                   "amsgrad = false  # default\n"
                                   "\n"
                                   "[train]\n"
                                   "global_batch_size = 256  # default\n"
                                   "\n"
                                   "[data]\n"
                                   "source = \"synth:\"  # default\n"
                                   "\n"
                                   "[eval]\n"
                                   "tasks = [\"synth-zeroshot\"]  # default\n");
}

TEST_F(DocumentTest, KeyAfterASectionHeaderBelongsToThatSection) {
  // Why to_toml writes top-level keys first: "seed = 1" after [model] is model.seed.
  const std::string path = write("run.toml", "[model]\nconfig = \"m.json\"\n\nseed = 1\n");
  EXPECT_EQ(load_error(path), path + ":4: unknown key 'model.seed'. HINT: did you mean 'seed'?");
}

TEST_F(DocumentTest, ToTomlIsTheSameForEquallyValuedFilesWrittenDifferently) {
  const std::string a = write("a.toml",
                              "seed = 7\n"
                              "[optim]\n"
                              "lr = 3e-4\n"
                              "weight_decay = 1e-1\n"
                              "[model]\n"
                              "config = 'm.json'\n"
                              "loss = \"siglip\"\n"
                              "[train]\n"
                              "global_batch_size = 1_024\n"
                              "[eval]\n"
                              "tasks = [ 'a',\n"
                              "   \"b\" ]  # two tasks\n");
  const std::string b = write("b.toml",
                              "model = { loss = \"siglip\", config = \"m.json\" }\n"
                              "eval.tasks = [\"a\", \"b\"]\n"
                              "optim.weight_decay = 0.1\n"
                              "optim.lr = 0.0003\n"
                              "train.global_batch_size = 1024\n"
                              "seed = +7\n");
  const Document doc_a = Document::load(schema_, a);
  const Document doc_b = Document::load(schema_, b);
  EXPECT_EQ(doc_a.to_toml(false), doc_b.to_toml(false));
  EXPECT_NE(doc_a.to_toml(true), doc_b.to_toml(true));  // provenance differs, values do not
  // The same values given as overrides give the same text too.
  const Document doc_c = Document::load(schema_, "",
                                        {"model.config=m.json", "model.loss=siglip", "optim.lr=0.0003", "seed=7",
                                         "train.global_batch_size=1024", "eval.tasks=['a','b']"});
  EXPECT_EQ(doc_a.to_toml(false), doc_c.to_toml(false));
}

TEST_F(DocumentTest, ToTomlReadsBackToTheSameValues) {
  Document doc = Document::load(schema_, "", {"model.config=models/ViT-B-32.json"});
  doc.set("data.source", Value{std::string("say \"hi\"\\ \t tab\nnew line, Zürich, \x01")}, Source::from_override(""));
  doc.set("optim.lr", Value{0.1 + 0.2}, Source::from_override(""));
  doc.set("optim.weight_decay", Value{1e-300}, Source::from_override(""));
  doc.set("seed", Value{std::numeric_limits<int64_t>::max()}, Source::from_override(""));
  doc.set("eval.tasks", Value{std::vector<std::string>{"", "a b", "'q'"}}, Source::from_override(""));
  doc.set("optim.amsgrad", Value{true}, Source::from_override(""));
  const std::string text = doc.to_toml(false);
  const Document again = Document::load(schema_, write("resolved.toml", text));
  for (const KeySpec& spec : schema_.keys()) {
    EXPECT_EQ(again.value(spec.key), doc.value(spec.key)) << spec.key;
  }
  EXPECT_EQ(again.to_toml(false), text);
  // Provenance comments are comments: the commented text reads back the same.
  const Document commented = Document::load(schema_, write("commented.toml", doc.to_toml(true)));
  EXPECT_EQ(commented.to_toml(false), text);
}

// ---- violation() ----------------------------------------------------------------------------------

TEST_F(DocumentTest, ViolationLineLocatesTheValueWhereverItCameFrom) {
  const std::string path = write("tiny.toml", "[model]\nconfig = \"m.json\"\n[train]\nglobal_batch_size = 4000\n");
  const Document doc = Document::load(schema_, path, {"optim.lr=0.5"});
  EXPECT_EQ(doc.violation("train.global_batch_size",
                          "global_batch_size % (world_size × micro_batch_size) == 0 (world_size 16, "
                          "micro_batch_size 48)",
                          "use 3840 or 4608"),
            path +
                ":4: train.global_batch_size = 4000 violates global_batch_size % (world_size × micro_batch_size) == 0 "
                "(world_size 16, micro_batch_size 48). HINT: use 3840 or 4608.");
  EXPECT_EQ(doc.violation("optim.lr", "optim.lr <= 0.1 for AdamW", "lower it"),
            "--set optim.lr=0.5: optim.lr = 0.5 violates optim.lr <= 0.1 for AdamW. HINT: lower it.");
  EXPECT_EQ(doc.violation("optim.weight_decay", "optim.weight_decay < optim.lr", ""),
            path + ": optim.weight_decay = 0.1 (default) violates optim.weight_decay < optim.lr.");
}

// ---- set() and typed reads ---------------------------------------------------------------------

TEST_F(DocumentTest, SetChecksTheValueAndRecordsItsSource) {
  Document doc = Document::load(schema_, "", {"model.config=m.json"});
  doc.set("optim.lr", Value{0.01}, Source::from_override("optim.lr=0.01"));
  EXPECT_EQ(doc.get_float("optim.lr"), 0.01);
  EXPECT_EQ(doc.source("optim.lr"), Source::from_override("optim.lr=0.01"));
  doc.set("optim.weight_decay", Value{int64_t{0}}, Source::from_override("optim.weight_decay=0"));
  EXPECT_EQ(doc.value("optim.weight_decay"), Value{0.0});

  const auto set_error = [&doc](const std::string& key, Value value, Source source) -> std::string {
    try {
      doc.set(key, std::move(value), std::move(source));
    } catch (const core::UserError& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_EQ(set_error("optim.lrr", Value{0.1}, Source::from_override("optim.lrr=0.1")),
            "--set optim.lrr=0.1: unknown key 'optim.lrr'. HINT: did you mean 'optim.lr'?");
  EXPECT_EQ(set_error("optim.lr", Value{std::string("x")}, Source::from_override("optim.lr=x")),
            "--set optim.lr=x: optim.lr = \"x\" has type string, expected float. HINT: write a float, e.g. --set "
            "optim.lr=0.001.");
  EXPECT_EQ(set_error("optim.lr", Value{-1.0}, Source::from_file("cli.toml", 2)),
            "cli.toml:2: optim.lr = -1.0 violates optim.lr > 0. HINT: peak learning rate after warm-up.");
  EXPECT_EQ(doc.get_float("optim.lr"), 0.01) << "a rejected set changes nothing";
}

TEST_F(DocumentTest, TypedReadsOfTheWrongTypeAreProgrammingErrors) {
  const Document doc = Document::load(schema_, "", {"model.config=m.json", "seed=7"});
  EXPECT_EQ(doc.get_float("seed"), 7.0);  // ints read as floats
  EXPECT_THROW(doc.get_int("optim.lr"), core::Error);
  EXPECT_THROW(doc.get_string("seed"), core::Error);
  EXPECT_THROW(doc.get_bool("optim.nope"), core::Error);
  try {
    doc.get_string_list("data.source");
    FAIL() << "expected a throw";
  } catch (const core::UserError&) {
    FAIL() << "a wrong read is a bug in clipscale, not a user error";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("data.source"), std::string::npos) << e.what();
  }
}

// ---- lists, open tables, lenient loads, canonical text -------------------------------------

TEST_F(DocumentTest, ListKeysConvertTheirItemsAndCheckEachAgainstTheRule) {
  Schema schema = run_schema();
  schema.add_list("eval.at", ValueType::kFloat, ValueList{1, 2.5}, "computes to predict at", /*min=*/0.0);
  const Document doc = Document::load(schema, write("l.toml", "[model]\nconfig = \"m\"\n[eval]\nat = [1e15, 3]\n"));
  EXPECT_EQ(doc.value("eval.at"), (Value{ValueList{1e15, 3.0}})) << "an int item of a float list is a float";
  EXPECT_EQ(format_value(doc.value("eval.at")), "[1000000000000000.0, 3.0]");
  EXPECT_EQ(format_value(*schema.find("eval.at")->default_value), "[1.0, 2.5]");
  schema_ = schema;
  EXPECT_EQ(load_error(write("bad.toml", "[model]\nconfig = \"m\"\n[eval]\nat = [1, -2]\n")),
            (dir_ / "bad.toml").string() +
                ":4: eval.at = [1.0, -2.0] violates each eval.at item >= 0. HINT: computes to predict at.");
  EXPECT_NE(
      load_error(write("bad2.toml", "[model]\nconfig = \"m\"\n[eval]\nat = [1, \"x\"]\n")).find("has type mixed array"),
      std::string::npos);
}

TEST_F(DocumentTest, OpenTablesKeepTheirKeysAsWrittenInFileOrder) {
  Schema schema;
  schema.add_string("sweep.base", std::nullopt, "the base config")
      .add_table("axes", "axes of the grid")
      .close_sections();
  const std::string path = write("s.toml",
                                 "[sweep]\n"                                       // 1
                                 "base = \"b.toml\"\n"                             // 2
                                 "[axes]\n"                                        // 3
                                 "optim.lr = [1, 2.5e-3]\n"                        // 4
                                 "\"train.samples_seen\" = [\n  64,\n  128,\n]\n"  // 5-8
                                 "eval.tasks = [[\"a\"], [\"a\", \"b\"]]\n"        // 9
                                 "model.config = [\"x.json\"]\n");                 // 10
  const Document doc = Document::load(schema, path);
  const auto& axes = doc.table("axes");
  ASSERT_EQ(axes.size(), 4u);
  EXPECT_EQ(axes[0].key, "optim.lr");
  EXPECT_EQ(axes[0].value, (Value{ValueList{int64_t{1}, 2.5e-3}})) << "natural types: the caller converts";
  EXPECT_EQ(axes[1].key, "train.samples_seen");
  EXPECT_EQ(axes[1].source.line, 5);
  EXPECT_EQ(axes[1].item_lines, (std::vector<int>{6, 7}));
  EXPECT_EQ(axes[2].value, (Value{ValueList{std::vector<std::string>{"a"}, std::vector<std::string>{"a", "b"}}}));
  EXPECT_EQ(axes[3].value, (Value{std::vector<std::string>{"x.json"}}));
  EXPECT_EQ(doc.to_toml(false), "[sweep]\nbase = \"b.toml\"\n") << "open tables are not part of the canonical text";
}

TEST_F(DocumentTest, AClosedSchemaReportsAnUnknownSectionOnce) {
  Schema schema;
  schema.add_string("sweep.base", std::nullopt, "the base config")
      .add_table("axes", "axes of the grid")
      .close_sections();
  schema_ = schema;
  const std::string path = write("s.toml", "[sweep]\nbase = \"b\"\n[axis]\na = 1\nb = 2\n");
  EXPECT_EQ(load_error(path), path + ":3: unknown section or key 'axis'. HINT: did you mean [axes]?");
  EXPECT_EQ(load_error(write("t.toml", "axes = 3\n[sweep]\nbase = \"b\"\n")),
            (dir_ / "t.toml").string() +
                ":1: axes = 3 is not a section. HINT: write [axes] followed by its keys; axes of the grid.");
}

TEST_F(DocumentTest, ALenientLoadReportsEverythingAndReadsZeroValues) {
  std::vector<Problem> problems;
  const std::string path = write("run.toml", "seed = -1\n[optim]\nlr = \"fast\"\n");
  const Document doc = Document::load(schema_, path, {"optim.lrr=1"}, {}, &problems);
  ASSERT_EQ(problems.size(), 4u);
  EXPECT_EQ(problems[0].line, 1);
  EXPECT_NE(problems[0].text.find("seed = -1 violates seed >= 0"), std::string::npos);
  EXPECT_EQ(problems[1].line, 3);
  EXPECT_NE(problems[1].text.find("optim.lr = \"fast\" has type string"), std::string::npos);
  EXPECT_EQ(problems[2].line, 0);
  EXPECT_NE(problems[2].text.find("unknown key 'optim.lrr'"), std::string::npos);
  EXPECT_NE(problems[3].text.find("missing required key 'model.config'"), std::string::npos);
  EXPECT_EQ(doc.get_string("model.config"), "") << "a missing required key reads as the zero value";
  EXPECT_EQ(doc.get_float("optim.lr"), 1e-3) << "a mistyped key reads as its default";
}

TEST_F(DocumentTest, ItemSourcesNameTheLineOfEachListItem) {
  const std::string path = write("run.toml", "[model]\nconfig = \"m\"\n[eval]\ntasks = [\n  \"a\",\n  \"b\",\n]\n");
  const Document doc = Document::load(schema_, path);
  EXPECT_EQ(doc.item_source("eval.tasks", 0).line, 5);
  EXPECT_EQ(doc.item_source("eval.tasks", 1).line, 6);
  EXPECT_EQ(doc.item_source("eval.tasks", 7).line, 4) << "past the end: the key's own line";
}

TEST_F(DocumentTest, CanonicalTextCanLeaveKeysOutAndDropsEmptySections) {
  const Document doc = Document::load(schema_, "", {"model.config=m.json"});
  const std::string text = doc.to_toml(
      false, [](const KeySpec& spec, const Value&) { return spec.key != "seed" && spec.section() != "optim"; });
  EXPECT_EQ(text.find("seed"), std::string::npos);
  EXPECT_EQ(text.find("[optim]"), std::string::npos) << text;
  EXPECT_NE(text.find("[model]\nconfig = \"m.json\""), std::string::npos) << text;
}

}  // namespace
}  // namespace clipscale::config
