#include "convert/shard_export.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "support/scratch_dir.h"

namespace clipscale::convert {
namespace {

using clipscale::testing::ScratchDir;

/// The synthetic pool at 16 px and export options into a scratch directory.
class ShardExport : public ::testing::Test {
 protected:
  void SetUp() override {
    synth_.image_size = 16;
    source_ = data::open_source(synth_);
    options_.out_dir = dir_.path().string();
  }

  ScratchDir dir_;
  data::SourceOptions synth_;
  std::unique_ptr<data::SampleSource> source_;
  ShardExportOptions options_;
};

TEST_F(ShardExport, TheSyntheticPoolRoundTripsThroughPngShards) {
  options_.first = 100;
  options_.samples = 23;
  options_.shard_size = 10;
  options_.threads = 2;
  const std::string pattern = export_shards(*source_, options_);
  EXPECT_EQ(pattern, dir_.file("{00000..00002}.tar"));
  data::SourceOptions shards = synth_;
  shards.spec = "shards:" + pattern;
  const auto back = data::open_source(shards);
  ASSERT_EQ(back->size(), 23u);
  for (uint64_t i = 0; i < 23; ++i) {
    const data::Example a = source_->get(100 + i), b = back->get(i);
    EXPECT_EQ(a.caption, b.caption);
    EXPECT_EQ(a.pixels, b.pixels);  // lossless, and the eval view of a 16-px image at 16 px is the identity
  }
}

TEST_F(ShardExport, JpegAndBadOptions) {
  options_.samples = 5;
  options_.format = "jpg";
  EXPECT_EQ(export_shards(*source_, options_), dir_.file("00000.tar"));
  options_.format = "webp";
  EXPECT_THROW(export_shards(*source_, options_), core::UserError);
  options_.format = "png";
  options_.samples = 0;
  EXPECT_THROW(export_shards(*source_, options_), core::UserError);
}

}  // namespace
}  // namespace clipscale::convert
