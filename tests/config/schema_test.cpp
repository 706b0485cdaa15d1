#include "config/schema.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/error.h"

namespace clipscale::config {
namespace {

Schema small_schema() {
  Schema schema;
  schema.add_int("seed", 0, "random seed", 0)
      .add_float("optim.lr", 1e-3, "peak learning rate", 0.0, std::nullopt, /*min_exclusive=*/true)
      .add_int("train.global_batch_size", 256, "images per step", 1)
      .add_float("optim.beta2", 0.98, "Adam beta2", 0.0, 1.0)
      .add_string("model.loss", "clip", "contrastive loss", {"clip", "siglip"})
      .add_string("model.config", std::nullopt, "OpenCLIP model JSON")
      .add_string_list("eval.tasks", std::vector<std::string>{"a"}, "eval tasks", {"a", "b"})
      .add_bool("optim.amsgrad", false, "AMSGrad variant");
  return schema;
}

TEST(Schema, FindsDeclaredKeysInDeclarationOrder) {
  const Schema schema = small_schema();
  ASSERT_NE(schema.find("optim.lr"), nullptr);
  EXPECT_EQ(schema.find("optim.lr")->type, ValueType::kFloat);
  EXPECT_EQ(schema.find("optim"), nullptr);
  EXPECT_EQ(schema.find("optim.lrr"), nullptr);
  EXPECT_EQ(schema.key_names(),
            (std::vector<std::string>{"seed", "optim.lr", "train.global_batch_size", "optim.beta2", "model.loss",
                                      "model.config", "eval.tasks", "optim.amsgrad"}));
  EXPECT_TRUE(schema.find("model.config")->required());
  EXPECT_FALSE(schema.find("model.loss")->required());
}

TEST(Schema, ListsSectionsInFirstUseOrderWithTopLevelFirst) {
  Schema schema;
  schema.add_int("train.steps", 1, "steps")
      .add_int("seed", 0, "seed")
      .add_int("model.vision.width", 768, "width")
      .add_int("train.warmup", 0, "warm-up steps")
      .add_string("model.name", "ViT-B-32", "name");
  EXPECT_EQ(schema.sections(), (std::vector<std::string>{"", "train", "model.vision", "model"}));
  EXPECT_TRUE(schema.is_section("model"));
  EXPECT_TRUE(schema.is_section("model.vision"));
  EXPECT_FALSE(schema.is_section("model.vision.width"));
  EXPECT_FALSE(schema.is_section("optim"));
}

TEST(KeySpec, WritesItsRuleAsTheUserReadsIt) {
  const Schema schema = small_schema();
  EXPECT_EQ(schema.find("optim.lr")->rule(), "optim.lr > 0");
  EXPECT_EQ(schema.find("train.global_batch_size")->rule(), "train.global_batch_size >= 1");
  EXPECT_EQ(schema.find("optim.beta2")->rule(), "0 <= optim.beta2 <= 1");
  EXPECT_EQ(schema.find("model.loss")->rule(), "model.loss in [\"clip\", \"siglip\"]");
  EXPECT_EQ(schema.find("eval.tasks")->rule(), "each eval.tasks item in [\"a\", \"b\"]");
  EXPECT_EQ(schema.find("optim.amsgrad")->rule(), "");
  KeySpec spec;
  spec.key = "x.p";
  spec.type = ValueType::kFloat;
  spec.max = 0.5;
  spec.max_exclusive = true;
  EXPECT_EQ(spec.rule(), "x.p < 0.5");
}

TEST(KeySpec, ChecksBoundsAndChoices) {
  const Schema schema = small_schema();
  const KeySpec& lr = *schema.find("optim.lr");
  EXPECT_TRUE(lr.satisfied_by(Value{1e-9}));
  EXPECT_FALSE(lr.satisfied_by(Value{0.0}));  // exclusive
  EXPECT_FALSE(lr.satisfied_by(Value{-0.1}));
  EXPECT_FALSE(lr.satisfied_by(Value{std::nan("")}));
  const KeySpec& beta2 = *schema.find("optim.beta2");
  EXPECT_TRUE(beta2.satisfied_by(Value{0.0}));
  EXPECT_TRUE(beta2.satisfied_by(Value{1.0}));
  EXPECT_FALSE(beta2.satisfied_by(Value{1.0000001}));
  const KeySpec& batch = *schema.find("train.global_batch_size");
  EXPECT_TRUE(batch.satisfied_by(Value{int64_t{1}}));
  EXPECT_FALSE(batch.satisfied_by(Value{int64_t{0}}));
  EXPECT_TRUE(schema.find("model.loss")->satisfied_by(Value{std::string("siglip")}));
  EXPECT_FALSE(schema.find("model.loss")->satisfied_by(Value{std::string("SigLIP")}));
  const KeySpec& tasks = *schema.find("eval.tasks");
  EXPECT_TRUE(tasks.satisfied_by(Value{std::vector<std::string>{}}));
  EXPECT_TRUE(tasks.satisfied_by(Value{std::vector<std::string>{"b", "a"}}));
  EXPECT_FALSE(tasks.satisfied_by(Value{std::vector<std::string>{"a", "c"}}));
}

TEST(Schema, StoresAnIntDefaultOfAFloatKeyAsDouble) {
  KeySpec spec;
  spec.key = "optim.warmup_fraction";
  spec.type = ValueType::kFloat;
  spec.default_value = Value{int64_t{0}};
  spec.doc = "share of steps spent warming up";
  Schema schema;
  schema.add(spec);
  EXPECT_EQ(*schema.find("optim.warmup_fraction")->default_value, Value{0.0});
}

TEST(Schema, RejectsDeclarationMistakesAsProgrammingErrors) {
  EXPECT_THROW(Schema().add_int("a.b", 1, "doc").add_int("a.b", 2, "doc"), core::Error);
  EXPECT_THROW(Schema().add_int("a.b", 1, "doc").add_int("a.b.c", 2, "doc"), core::Error);  // a.b is a key
  EXPECT_THROW(Schema().add_int("a.b.c", 1, "doc").add_int("a.b", 2, "doc"), core::Error);  // a.b is a section
  EXPECT_THROW(Schema().add_int("a..b", 1, "doc"), core::Error);
  EXPECT_THROW(Schema().add_int("a b", 1, "doc"), core::Error);
  EXPECT_THROW(Schema().add_int("", 1, "doc"), core::Error);
  EXPECT_THROW(Schema().add_int("a.b", 1, ""), core::Error);           // no doc, no hint
  EXPECT_THROW(Schema().add_int("a.b", 0, "doc", 1), core::Error);     // default breaks min
  EXPECT_THROW(Schema().add_int("a.b", 5, "doc", 3, 2), core::Error);  // min > max
  EXPECT_THROW(Schema().add_string("a.b", "x", "doc", {"y", "z"}), core::Error);
  KeySpec wrong_type;
  wrong_type.key = "a.b";
  wrong_type.type = ValueType::kInt;
  wrong_type.default_value = Value{std::string("1")};
  wrong_type.doc = "doc";
  EXPECT_THROW(Schema().add(wrong_type), core::Error);
  KeySpec bounded_string;
  bounded_string.key = "a.b";
  bounded_string.type = ValueType::kString;
  bounded_string.min = 0;
  bounded_string.doc = "doc";
  EXPECT_THROW(Schema().add(bounded_string), core::Error);
  EXPECT_NO_THROW(Schema().add_int("a-b.c_d.E9", 1, "doc"));
}

}  // namespace
}  // namespace clipscale::config
