// Writing any pool's samples as WebDataset shards: `clipscale data synth` (the built-in pool as
// files, e.g. to benchmark the shard loader against it), and the loader benchmark.
#pragma once

#include <cstdint>
#include <string>

#include "data/sample_source.h"

namespace clipscale::convert {

struct ShardExportOptions {
  std::string out_dir;
  uint64_t first = 0;          ///< first pool index written
  int64_t samples = 0;         ///< samples written: pool indices first, first + 1, ...
  int64_t shard_size = 10000;  ///< samples per shard
  std::string format = "png";  ///< "png" or "jpg"
  int jpeg_quality = 90;
  int64_t threads = 0;  ///< encoding threads; 0: every core
};

/// Writes source.get(i) for the options' range as "<out_dir>/{00000..}.tar": key = 9-digit pool
/// index, key.png|jpg (the eval view's pixels), key.txt (the caption), key.json {"id", "noisy"}.
/// Returns the shard pattern. Throws core::UserError for bad options.
std::string export_shards(const data::SampleSource& source, const ShardExportOptions& options);

}  // namespace clipscale::convert
