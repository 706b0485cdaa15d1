#include "convert/fashion_mnist.h"

#include <fmt/format.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "convert/shard_writer.h"
#include "core/error.h"
#include "data/image_codec.h"
#include "data/image_transform.h"
#include "spec/eval_task_spec.h"

namespace clipscale::convert {
namespace {

constexpr uint32_t kImagesMagic = 0x00000803;  // IDX: unsigned bytes, 3 dimensions
constexpr uint32_t kLabelsMagic = 0x00000801;  // IDX: unsigned bytes, 1 dimension

std::string read_gzip(const std::string& path) {
  std::unique_ptr<gzFile_s, int (*)(gzFile)> file(gzopen(path.c_str(), "rb"), gzclose);
  if (file == nullptr)
    throw core::UserError(path +
                          " cannot be opened. HINT: apt-get install dataset-fashion-mnist, or pass "
                          "--package-dir with the four *-ubyte.gz files.");
  std::string out;
  char buffer[1 << 16];
  int n = 0;
  while ((n = gzread(file.get(), buffer, sizeof(buffer))) > 0) out.append(buffer, static_cast<size_t>(n));
  if (n < 0) throw core::UserError(path + " is not a readable gzip file. HINT: reinstall dataset-fashion-mnist.");
  return out;
}

uint32_t big_endian(const std::string& bytes, size_t at) {
  const auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + i])); };
  return b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3);
}

[[noreturn]] void malformed(const std::string& path, const std::string& what) {
  throw core::UserError(path + ": " + what +
                        ", not an IDX file of Fashion-MNIST. HINT: reinstall dataset-fashion-mnist.");
}

}  // namespace

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> kClasses = {"t-shirt", "trousers", "pullover", "dress", "coat",
                                                    "sandal",  "shirt",    "sneaker",  "bag",   "ankle boot"};
  return kClasses;
}

const std::vector<std::string>& fashion_mnist_templates() {
  static const std::vector<std::string> kTemplates = {"a photo of a {}.", "a black and white photo of a {}.",
                                                      "a low resolution photo of a {}.", "{}", "{} icon"};
  return kTemplates;
}

FashionMnistSummary convert_fashion_mnist(const FashionMnistOptions& options) {
  if (options.split != "test" && options.split != "train")
    throw core::UserError("--split " + options.split + " violates split in {test, train}. HINT: the task uses test.");
  if (options.image_size < 28 || options.image_size > 1024)
    throw core::UserError(
        "--size " + std::to_string(options.image_size) +
        " violates 28 <= size <= 1024. HINT: use the model's image size (32 for the built-in family).");
  const std::string stem = options.split == "test" ? "t10k" : "train";
  const std::string images_path =
      (std::filesystem::path(options.package_dir) / (stem + "-images-idx3-ubyte.gz")).string();
  const std::string labels_path =
      (std::filesystem::path(options.package_dir) / (stem + "-labels-idx1-ubyte.gz")).string();
  const std::string images = read_gzip(images_path);
  const std::string labels = read_gzip(labels_path);
  if (images.size() < 16 || big_endian(images, 0) != kImagesMagic) malformed(images_path, "no image IDX header");
  if (labels.size() < 8 || big_endian(labels, 0) != kLabelsMagic) malformed(labels_path, "no label IDX header");
  const uint32_t count = big_endian(images, 4), rows = big_endian(images, 8), cols = big_endian(images, 12);
  if (big_endian(labels, 4) != count || labels.size() != 8 + size_t{count})
    malformed(labels_path, "a label count unlike the images'");
  if (rows != 28 || cols != 28 || images.size() != 16 + size_t{count} * rows * cols)
    malformed(images_path, "a size other than N x 28 x 28");

  FashionMnistSummary summary;
  const std::filesystem::path out_dir = std::filesystem::absolute(options.out_dir).lexically_normal();
  summary.shard = (out_dir / "fashion_mnist.tar").string();
  TarWriter writer(summary.shard);
  const auto& classes = fashion_mnist_classes();
  for (uint32_t i = 0; i < count; ++i) {
    const auto label = static_cast<unsigned char>(labels[8 + i]);
    if (label >= classes.size()) malformed(labels_path, "label " + std::to_string(label) + " outside 0..9");
    data::RgbImage grey;
    grey.width = grey.full_width = cols;
    grey.height = grey.full_height = rows;
    grey.pixels.resize(size_t{rows} * cols * 3);
    for (size_t p = 0; p < size_t{rows} * cols; ++p)
      for (size_t c = 0; c < 3; ++c)
        grey.pixels[p * 3 + c] = static_cast<uint8_t>(images[16 + size_t{i} * rows * cols + p]);
    const std::vector<uint8_t> rgb = data::resize_image(grey, options.image_size, options.image_size);
    const std::string key = fmt::format("{:06d}", i);
    writer.add(key + ".png", data::encode_png(rgb.data(), options.image_size, options.image_size));
    writer.add(key + ".txt", classes[label]);
    writer.add(key + ".json",
               nlohmann::json{{"label", classes[label]}, {"label_index", label}, {"split", options.split}}.dump());
  }
  writer.close();
  summary.samples = count;

  spec::EvalTaskSpec spec;
  spec.kind = spec::EvalTaskKind::kZeroShot;
  spec.description = "Zero-shot classification of Fashion-MNIST's " + options.split + " split (10 classes)";
  spec.source = "shards:" + summary.shard;
  spec.classes = classes;
  spec.templates = fashion_mnist_templates();
  summary.task_file = (out_dir / "fashion_mnist.toml").string();
  std::ofstream(summary.task_file) << spec::eval_task_toml(
      spec, "Written by `clipscale data fashion-mnist` (src/convert/fashion_mnist.h).");
  return summary;
}

}  // namespace clipscale::convert
