#include "convert/iconify.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "convert/svg_render.h"
#include "core/error.h"
#include "data/eval_tasks.h"
#include "data/sample_source.h"
#include "data/shard_source.h"
#include "support/process.h"
#include "support/scratch_dir.h"

namespace clipscale::convert {
namespace {

using clipscale::testing::ScratchDir;
using clipscale::testing::write_text;
using nlohmann::json;

const char* kTriangle = "<path fill=\"currentColor\" d=\"M2 2L14 8L2 14z\"/>";
const char* kDisc = "<circle cx=\"8\" cy=\"8\" r=\"6\" fill=\"#e33\"/>";
const char* kBar = "<path fill=\"currentColor\" d=\"M2 6h12v4H2z\"/>";

/// A tiny @iconify/json package: one pool set, one held-out emoji set, two held-out icon sets.
std::string write_package(const ScratchDir& dir) {
  const auto set = [&](const std::string& prefix, const json& body) {
    write_text(dir.path() / "package" / "json" / (prefix + ".json"), body.dump());
  };
  set("testset",
      {{"prefix", "testset"},
       {"info", {{"name", "Test Set"}, {"license", {{"title", "MIT"}, {"spdx", "MIT"}}}}},
       {"icons",
        {{"home", {{"body", kDisc}}},
         {"arrow-right", {{"body", kTriangle}}},
         {"old", {{"body", kBar}, {"hidden", true}}},
         {"blank", {{"body", "<g/>"}}}}},
       {"aliases", {{"arrow-left", {{"parent", "arrow-right"}, {"hFlip", true}}}, {"house", {{"parent", "home"}}}}},
       {"categories", {{"Arrows & Pointers", {"arrow-right"}}}},
       {"width", 16},
       {"height", 16}});
  set("twemoji",
      {{"prefix", "twemoji"},
       {"info", {{"name", "Twitter Emoji"}, {"license", {{"spdx", "CC-BY-4.0"}}}}},
       {"icons",
        {{"grinning-face", {{"body", kDisc}}}, {"cat-face", {{"body", kTriangle}}}, {"flag-x", {{"body", kBar}}}}},
       {"categories",
        {{"Smileys & Emotion", {"grinning-face"}}, {"Animals & Nature", {"cat-face"}}, {"Extras", {"flag-x"}}}}});
  set("tabler", {{"prefix", "tabler"},
                 {"info", {{"name", "Tabler Icons"}}},
                 {"icons",
                  {{"home", {{"body", kDisc}}},
                   {"home-filled", {{"body", kBar}}},
                   {"bell", {{"body", kTriangle}}},
                   {"bell-2", {{"body", kBar}}},
                   {"user", {{"body", kDisc}}}}},
                 {"width", 24},
                 {"height", 24}});
  set("lucide", {{"prefix", "lucide"},
                 {"info", {{"name", "Lucide"}}},
                 {"icons", {{"home", {{"body", kBar}}}, {"bell", {{"body", kDisc}}}}}});
  write_text(dir.path() / "package" / "package.json", "{\"name\": \"@iconify/json\", \"version\": \"9.9.9\"}");
  write_text(dir.path() / "package" / "json" / "broken.json", "{ not json");
  const auto r = clipscale::testing::run_command("cd '" + dir.path().string() + "' && tar czf icons.tgz package");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return dir.file("icons.tgz");
}

TEST(Iconify, CaptionsCategoriesAndConcepts) {
  EXPECT_EQ(icon_caption("arrow-left-bold", "arrows", "Material Design Icons"),
            "arrow left bold, arrows icon from Material Design Icons");
  EXPECT_EQ(icon_caption("home", "", "Lucide"), "home icon from Lucide");
  EXPECT_EQ(normalize_category("Smileys & Emotion"), "smileys emotion");
  EXPECT_EQ(normalize_category("Account / User"), "account user");
  EXPECT_EQ(icon_concept("arrow-left-bold"), "arrow-left");
  EXPECT_EQ(icon_concept("bell-ringing-2-filled"), "bell-ringing");
  EXPECT_EQ(icon_concept("fill"), "fill");
  EXPECT_EQ(emoji_groups().size(), 9u);
}

TEST(Iconify, AliasesResolveWithFlipsAndRotations) {
  const json set = {
      {"prefix", "t"},
      {"width", 24},
      {"height", 16},
      {"icons", {{"a", {{"body", "<g/>"}}}}},
      {"aliases",
       {{"b", {{"parent", "a"}, {"hFlip", true}}}, {"c", {{"parent", "b"}, {"rotate", 1}}}, {"d", {{"parent", "d"}}}}}};
  EXPECT_NE(iconify_svg(set.dump(), "a").find("viewBox=\"0 0 24 16\""), std::string::npos);
  EXPECT_NE(iconify_svg(set.dump(), "b").find("translate(24 0) scale(-1 1)"), std::string::npos);
  const std::string c = iconify_svg(set.dump(), "c");
  EXPECT_NE(c.find("rotate(90 8 8)"), std::string::npos) << c;
  EXPECT_NE(c.find("viewBox=\"0 0 16 24\""), std::string::npos) << c;
  EXPECT_THROW(iconify_svg(set.dump(), "d"), core::UserError);
  EXPECT_THROW(iconify_svg(set.dump(), "nope"), core::UserError);
}

TEST(Iconify, AFlippedAliasRendersAsTheMirrorImage) {
  const json set = {{"icons", {{"r", {{"body", kTriangle}}}}},
                    {"aliases", {{"l", {{"parent", "r"}, {"hFlip", true}}}}}};
  const auto right = render_svg(iconify_svg(set.dump(), "r"), 16, "r");
  const auto left = render_svg(iconify_svg(set.dump(), "l"), 16, "l");
  int64_t differences = 0;  // cairo's antialiasing is not exactly mirror-symmetric: edges differ by < 16
  for (int64_t y = 0; y < 16; ++y)
    for (int64_t x = 0; x < 16; ++x)
      differences += std::abs(int(right[static_cast<size_t>((y * 16 + x) * 3)]) -
                              int(left[static_cast<size_t>((y * 16 + 15 - x) * 3)])) >= 16;
  EXPECT_EQ(differences, 0);
  EXPECT_EQ(right[(8 * 16 + 1) * 3], 255);  // white background left of the triangle
  EXPECT_LT(right[(8 * 16 + 4) * 3], 64);   // black (currentColor) inside it
  EXPECT_THROW(render_svg("<svg", 16, "bad"), core::UserError);
}

TEST(Iconify, ConvertsAPackageIntoAPoolWithoutHeldOutSetsAndEvalTasks) {
  ScratchDir dir;
  IconifyOptions options;
  options.package = write_package(dir);
  options.out_dir = dir.file("out");
  options.image_size = 16;
  options.shard_size = 2;
  options.threads = 2;
  options.concept_classes = 2;
  options.concept_images_per_class = 5;
  options.retrieval_pairs = 3;
  const IconifySummary summary = convert_iconify(options);
  EXPECT_EQ(summary.package_version, "9.9.9");
  EXPECT_EQ(summary.sets, 4);
  EXPECT_EQ(summary.blank, 1);         // testset:blank
  EXPECT_EQ(summary.pool_samples, 3);  // home, arrow-right, arrow-left (hidden, pure alias and blank left out)
  EXPECT_EQ(summary.rendered, 3 + 3 + 5 + 2);

  data::SourceOptions source_options;
  source_options.spec = "shards:" + summary.pool_pattern;
  source_options.image_size = 16;
  const auto pool = data::open_source(source_options);
  ASSERT_EQ(pool->size(), 3u);
  std::set<std::string> captions;
  for (uint64_t i = 0; i < 3; ++i) captions.insert(pool->get(i).caption);
  EXPECT_EQ(captions,
            (std::set<std::string>{"arrow left, arrows pointers icon from Test Set",
                                   "arrow right, arrows pointers icon from Test Set", "home icon from Test Set"}));
  const auto& shards = dynamic_cast<const data::ShardSource&>(*pool);
  const json meta = json::parse(shards.metadata(0));
  EXPECT_EQ(meta["set"], "testset");
  EXPECT_EQ(meta["license"], "MIT");

  data::EvalTaskOptions eval_options;
  eval_options.image_size = 16;
  const std::string eval_dir = dir.file("out/eval");
  const data::EvalTask emoji = data::load_eval_task(eval_dir + "/icons_emoji.toml", eval_options);
  EXPECT_EQ(emoji.zero_shot.class_names, (std::vector<std::string>{"animals nature", "smileys emotion"}));
  EXPECT_EQ(emoji.zero_shot.images.size(0), 2);
  const data::EvalTask concepts = data::load_eval_task(eval_dir + "/icons_concepts.toml", eval_options);
  EXPECT_EQ(concepts.zero_shot.class_names, (std::vector<std::string>{"bell", "home"}));
  EXPECT_EQ(concepts.zero_shot.images.size(0), 6);
  // The committed task files describe the same tasks as the converter writes.
  for (const char* task : {"icons_emoji", "icons_concepts", "icons_retrieval"}) {
    const spec::EvalTaskSpec written = spec::find_eval_task(eval_dir + "/" + task + ".toml");
    const spec::EvalTaskSpec committed =
        spec::find_eval_task(std::string(CLIPSCALE_SOURCE_DIR) + "/experiments/evals/" + task + ".toml");
    EXPECT_EQ(committed.kind, written.kind) << task;
    EXPECT_EQ(committed.templates, written.templates) << task;
    EXPECT_EQ(committed.description, written.description) << task;
    EXPECT_EQ(committed.source.substr(committed.source.rfind('/')), written.source.substr(written.source.rfind('/')));
  }
  const data::EvalTask retrieval = data::load_eval_task(eval_dir + "/icons_retrieval.toml", eval_options);
  EXPECT_EQ(retrieval.retrieval.captions.size(), 3u);
  EXPECT_TRUE(std::filesystem::exists(dir.file("out/manifest.json")));

  // The same package converts to byte-identical shards whatever the thread count.
  options.out_dir = dir.file("out1");
  options.threads = 1;
  const IconifySummary again = convert_iconify(options);
  const auto bytes = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  EXPECT_EQ(bytes(dir.file("out/pool/00000.tar")), bytes(dir.file("out1/pool/00000.tar")));
  EXPECT_EQ(bytes(dir.file("out/eval/icons_concepts.tar")), bytes(dir.file("out1/eval/icons_concepts.tar")));
}

TEST(Iconify, AMissingPackageIsAUserError) {
  IconifyOptions options;
  options.package = "/nonexistent/icons.tgz";
  options.out_dir = "/tmp/unused";
  EXPECT_THROW(convert_iconify(options), core::UserError);
}

}  // namespace
}  // namespace clipscale::convert
