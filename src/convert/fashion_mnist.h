// Fashion-MNIST (Xiao et al. 2017) as a zero-shot task: `clipscale data fashion-mnist` reads the
// IDX files of the Debian package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist),
// upscales the 28 × 28 grey images to the model's size as 3-channel PNGs, and writes one tar shard
// (key.png + key.txt class name + key.json {"label", "label_index"}) and its task file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace clipscale::convert {

inline constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

/// The 10 class names in label order, as prompts use them ("t-shirt", "trousers", ...).
const std::vector<std::string>& fashion_mnist_classes();
/// The prompt templates of the task.
const std::vector<std::string>& fashion_mnist_templates();

struct FashionMnistOptions {
  std::string package_dir = kFashionMnistDir;
  std::string out_dir;
  int64_t image_size = 32;
  std::string split = "test";  ///< "test" (10k, the task) or "train" (60k)
};

struct FashionMnistSummary {
  int64_t samples = 0;
  std::string shard;      ///< absolute path of the tar
  std::string task_file;  ///< <out_dir>/fashion_mnist.toml
};

/// Converts one split. Throws core::UserError when the IDX files are missing or malformed.
FashionMnistSummary convert_fashion_mnist(const FashionMnistOptions& options);

}  // namespace clipscale::convert
