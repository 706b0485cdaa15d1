// Tiny shards for the data tests, written by the tests themselves: sample i is a solid PNG whose
// colour encodes i (red = i mod 256, green = i / 256), the caption "sample i" and {"index": i}, so
// any decoded, cropped and resized pixel still tells which sample it came from.
#pragma once

#include <ATen/core/Tensor.h>
#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "convert/shard_writer.h"
#include "data/image_codec.h"
#include "data/image_tensor.h"

namespace clipscale::data::testing {

/// Solid size × size RGB encoding `index`.
inline std::vector<uint8_t> index_pixels(uint64_t index, int64_t size) {
  std::vector<uint8_t> rgb(static_cast<size_t>(size * size * 3));
  for (size_t p = 0; p < rgb.size(); p += 3) {
    rgb[p] = static_cast<uint8_t>(index % 256);
    rgb[p + 1] = static_cast<uint8_t>(index / 256 % 256);
    rgb[p + 2] = 7;
  }
  return rgb;
}

/// The sample (key, png, txt, json) of index `i`.
inline convert::ShardSample index_sample(uint64_t index, int64_t size = 8) {
  const std::vector<uint8_t> rgb = index_pixels(index, size);
  convert::ShardSample sample;
  sample.key = fmt::format("{:06d}", index);
  sample.members = {{"png", encode_png(rgb.data(), size, size)},
                    {"txt", "sample " + std::to_string(index)},
                    {"json", "{\"index\": " + std::to_string(index) + "}"}};
  return sample;
}

/// Writes samples 0 .. count-1 into shards of `per_shard` under `dir`; returns the pattern.
inline std::string write_index_shards(const std::string& dir, int64_t count, int64_t per_shard, int64_t size = 8) {
  convert::ShardWriter writer(dir, per_shard);
  for (int64_t i = 0; i < count; ++i) writer.write(index_sample(static_cast<uint64_t>(i), size));
  return writer.finish();
}

/// The index encoded by an RGB pixel.
inline uint64_t pixel_index(const uint8_t* rgb) { return uint64_t{rgb[0]} + 256 * uint64_t{rgb[1]}; }

/// The index encoded by row `row` of a normalised [B, 3, S, S] batch (its top-left pixel).
inline uint64_t tensor_index(const at::Tensor& images, int64_t row) {
  const at::Tensor image = images[row];
  const auto channel = [&](int c) {
    const double v =
        image[c][0][0].item<double>() * kImageStd[static_cast<size_t>(c)] + kImageMean[static_cast<size_t>(c)];
    return static_cast<uint64_t>(std::lround(v * 255.0));
  };
  return channel(0) + 256 * channel(1);
}

}  // namespace clipscale::data::testing
