#include "convert/shard_export.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "convert/shard_writer.h"
#include "core/env.h"
#include "core/error.h"
#include "data/image_codec.h"
#include "data/ordered_parallel.h"

namespace clipscale::convert {

std::string export_shards(const data::SampleSource& source, const ShardExportOptions& options) {
  if (options.samples <= 0)
    throw core::UserError("--samples " + std::to_string(options.samples) +
                          " violates samples > 0. HINT: e.g. --samples 10000");
  if (options.first >= source.size() || static_cast<uint64_t>(options.samples) > source.size() - options.first)
    throw core::UserError("--samples " + std::to_string(options.samples) + " violates samples <= pool size (" +
                          std::to_string(source.size()) + " in " + source.describe() + "). HINT: write fewer samples.");
  if (options.format != "png" && options.format != "jpg")
    throw core::UserError("--format " + options.format +
                          " violates format in {png, jpg}. HINT: png is lossless, jpg is what web crawls hold.");
  if (options.jpeg_quality < 1 || options.jpeg_quality > 100)
    throw core::UserError("--jpeg-quality " + std::to_string(options.jpeg_quality) +
                          " violates 1 <= quality <= 100. HINT: 90");
  ShardWriter writer(options.out_dir, options.shard_size);
  const int64_t threads = options.threads > 0 ? options.threads : core::available_cores();
  data::for_each_ordered<ShardSample>(
      options.samples, threads,
      [&](int64_t i) {
        const data::Example example = source.get(options.first + static_cast<uint64_t>(i));
        const std::string image = options.format == "png"
                                      ? data::encode_png(example.pixels.data(), example.image_size, example.image_size)
                                      : data::encode_jpeg(example.pixels.data(), example.image_size, example.image_size,
                                                          options.jpeg_quality);
        ShardSample sample;
        sample.key = fmt::format("{:09d}", example.id);
        sample.members = {{options.format, image},
                          {"txt", example.caption},
                          {"json", nlohmann::json{{"id", example.id}, {"noisy", example.noisy}}.dump()}};
        return sample;
      },
      [&](int64_t, ShardSample sample) { writer.write(sample); });
  return writer.finish();
}

}  // namespace clipscale::convert
