#include "convert/fashion_mnist.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <zlib.h>

#include <filesystem>

#include "core/error.h"
#include "data/eval_tasks.h"
#include "data/image_tensor.h"
#include "support/scratch_dir.h"

namespace clipscale::convert {
namespace {

using clipscale::testing::ScratchDir;

void write_gzip(const std::string& path, const std::string& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  gzclose(file);
}

std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

/// A 5-image IDX test split: image i is a solid square of grey 50 * i with label 2 * i.
void write_idx(const ScratchDir& dir) {
  std::string images = be32(0x803) + be32(5) + be32(28) + be32(28), labels = be32(0x801) + be32(5);
  for (int i = 0; i < 5; ++i) {
    images += std::string(28 * 28, static_cast<char>(50 * i));
    labels += static_cast<char>(2 * i);
  }
  write_gzip(dir.file("t10k-images-idx3-ubyte.gz"), images);
  write_gzip(dir.file("t10k-labels-idx1-ubyte.gz"), labels);
}

TEST(FashionMnist, ConvertsTheIdxFilesIntoAZeroShotTask) {
  ScratchDir dir;
  write_idx(dir);
  FashionMnistOptions options;
  options.package_dir = dir.path().string();
  options.out_dir = dir.file("out");
  options.image_size = 32;
  const FashionMnistSummary summary = convert_fashion_mnist(options);
  EXPECT_EQ(summary.samples, 5);
  data::EvalTaskOptions eval_options;
  eval_options.image_size = 32;
  const data::EvalTask task = data::load_eval_task(summary.task_file, eval_options);
  EXPECT_EQ(task.name, "fashion_mnist");
  EXPECT_EQ(task.zero_shot.class_names, fashion_mnist_classes());
  EXPECT_EQ(task.zero_shot.templates, fashion_mnist_templates());
  ASSERT_EQ(task.zero_shot.images.sizes(), (std::vector<int64_t>{5, 3, 32, 32}));
  for (int64_t i = 0; i < 5; ++i) EXPECT_EQ(task.zero_shot.labels[i].item<int64_t>(), 2 * i);
  // Grey becomes three equal channels: the un-normalised pixel is 50 * i in each.
  const at::Tensor pixel = task.zero_shot.images.index({4, torch::indexing::Slice(), 16, 16});
  for (int c = 0; c < 3; ++c)
    EXPECT_NEAR(
        pixel[c].item<double>() * data::kImageStd[static_cast<size_t>(c)] + data::kImageMean[static_cast<size_t>(c)],
        200.0 / 255.0, 1e-3);
}

TEST(FashionMnist, TheCommittedTaskFileMatchesTheConverter) {
  const spec::EvalTaskSpec committed =
      spec::find_eval_task(std::string(CLIPSCALE_SOURCE_DIR) + "/experiments/evals/fashion_mnist.toml");
  EXPECT_EQ(committed.classes, fashion_mnist_classes());
  EXPECT_EQ(committed.templates, fashion_mnist_templates());
}

TEST(FashionMnist, MissingOrMalformedFilesAreUserErrors) {
  ScratchDir dir;
  FashionMnistOptions options;
  options.package_dir = dir.path().string();
  options.out_dir = dir.file("out");
  EXPECT_THROW(convert_fashion_mnist(options), core::UserError);
  write_gzip(dir.file("t10k-images-idx3-ubyte.gz"), "not idx");
  write_gzip(dir.file("t10k-labels-idx1-ubyte.gz"), "not idx");
  EXPECT_THROW(convert_fashion_mnist(options), core::UserError);
  options.split = "validation";
  EXPECT_THROW(convert_fashion_mnist(options), core::UserError);
}

TEST(FashionMnist, TheDebianPackageConvertsWhenInstalled) {
  if (!std::filesystem::exists(std::string(kFashionMnistDir) + "/t10k-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  ScratchDir dir;
  FashionMnistOptions options;
  options.out_dir = dir.file("out");
  EXPECT_EQ(convert_fashion_mnist(options).samples, 10000);
}

}  // namespace
}  // namespace clipscale::convert
