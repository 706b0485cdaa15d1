// A pool of WebDataset tar shards (the format img2dataset writes): each sample is a group of
// consecutive members sharing a key, key.jpg|jpeg|png (image) + key.txt (caption) and optionally
// key.json (metadata). The key is the member name up to the first '.' of its last path component
// and the extension the rest, lower-cased ("a/b/000123.seg.png" → key "a/b/000123", ext "seg.png").
//
// Opening reads each shard's member index (tar_index.h; built once, cached beside the shard) and
// groups it into samples; a sample is read with one pread per member, never outside the member's
// bytes inside its shard. Sample ids are positions in shard order, then member order.
//
// Bad input (bad_sample.h): at open, a damaged or early-ending shard keeps the samples before the
// damage; groups with an unsafe member name ("..", absolute path), without an image or without a
// caption are left out. At read, an image that does not decode or is too large and a caption
// that is empty or not UTF-8 throw BadSampleError naming shard and member. Each is logged (the
// first few in full) and counted.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/bad_sample.h"
#include "data/sample_source.h"

namespace clipscale::data {

/// Members larger than these are not read (image_too_large / bad_caption).
inline constexpr uint64_t kMaxImageBytes = uint64_t{64} << 20;
inline constexpr uint64_t kMaxCaptionBytes = uint64_t{64} << 10;

struct ShardSourceOptions {
  std::vector<std::string> shards;    ///< shard paths, in pool order
  std::string pattern;                ///< how they were named (for describe())
  int64_t image_size = 32;            ///< square output images
  uint64_t max_samples = UINT64_MAX;  ///< keep only the first max_samples samples
  bool write_index_cache = true;      ///< write <shard>.clipscale-idx beside each shard
};

class ShardSource final : public SampleSource {
 public:
  /// Indexes every shard. Throws core::UserError when a shard is missing or compressed, or when
  /// the shards hold no usable sample at all.
  explicit ShardSource(ShardSourceOptions options);

  uint64_t size() const override { return samples_.size(); }
  /// The eval view: resize the shorter side + centre crop.
  Example get(uint64_t index) const override;
  /// The train view: RandomResizedCrop(scale 0.9–1.0, ratio 3/4–4/3) drawn from `augment_seed`.
  Example get_augmented(uint64_t index, uint64_t augment_seed) const override;
  /// The validated caption (UTF-8, trimmed, not empty), without decoding the image.
  std::string caption(uint64_t index) const override;
  SkipCounts excluded() const override { return excluded_; }
  /// "shards:<pattern> (<n> shards, <m> samples)".
  std::string describe() const override;

  /// The sample's key.json as text, or "" when it has none.
  std::string metadata(uint64_t index) const;
  /// Where the sample lives: "shard <path> key <key>".
  std::string location(uint64_t index) const;

 private:
  struct Member {
    uint64_t offset = 0;
    uint64_t size = 0;
  };
  struct Sample {
    uint32_t shard = 0;
    std::string key;
    std::string image_ext;  ///< "jpg", "jpeg" or "png"
    Member image, text;
    Member json;  ///< size 0 when the sample has none
  };

  void index_shard(uint32_t shard);
  std::string read_member(const Sample& sample, const Member& member, const std::string& ext, uint64_t limit,
                          SkipReason too_large) const;
  std::string read_caption(const Sample& sample) const;
  Example decode(uint64_t index, bool augment, uint64_t augment_seed) const;

  ShardSourceOptions options_;
  std::vector<Sample> samples_;
  SkipCounts excluded_;
  uint64_t warnings_ = 0;
};

}  // namespace clipscale::data
