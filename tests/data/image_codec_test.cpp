#include "data/image_codec.h"

#include <gtest/gtest.h>

#include "core/hash.h"
#include "data/bad_sample.h"

namespace clipscale::data {
namespace {

std::vector<uint8_t> gradient(int64_t w, int64_t h) {
  std::vector<uint8_t> rgb(static_cast<size_t>(w * h * 3));
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      uint8_t* p = &rgb[static_cast<size_t>((y * w + x) * 3)];
      p[0] = static_cast<uint8_t>(x * 255 / std::max<int64_t>(w - 1, 1));
      p[1] = static_cast<uint8_t>(y * 255 / std::max<int64_t>(h - 1, 1));
      p[2] = 128;
    }
  return rgb;
}

SkipReason reason_of(const std::string& bytes) {
  try {
    decode_image(bytes, 0, "test member");
  } catch (const BadSampleError& e) {
    EXPECT_NE(std::string(e.what()).find("test member"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("HINT"), std::string::npos) << e.what();
    return e.reason();
  }
  ADD_FAILURE() << "decoded";
  return SkipReason::kTruncated;
}

TEST(ImageCodec, PngRoundTripsExactly) {
  const auto rgb = gradient(37, 21);
  const RgbImage image = decode_image(encode_png(rgb.data(), 37, 21), 0, "x");
  EXPECT_EQ(image.width, 37);
  EXPECT_EQ(image.height, 21);
  EXPECT_EQ(image.pixels, rgb);
}

TEST(ImageCodec, JpegRoundTripsWithinQuantisationError) {
  const auto rgb = gradient(64, 48);
  const RgbImage image = decode_image(encode_jpeg(rgb.data(), 64, 48, 95), 0, "x");
  ASSERT_EQ(image.pixels.size(), rgb.size());
  double error = 0;
  for (size_t i = 0; i < rgb.size(); ++i) error += std::abs(int(image.pixels[i]) - int(rgb[i]));
  EXPECT_LT(error / static_cast<double>(rgb.size()), 3.0);
}

TEST(ImageCodec, LargeJpegsDecodeAtAReducedScaleThatKeepsTheRequestedSide) {
  const auto rgb = gradient(800, 600);
  const RgbImage image = decode_image(encode_jpeg(rgb.data(), 800, 600), 70, "x");
  EXPECT_EQ(image.full_width, 800);
  EXPECT_EQ(image.full_height, 600);
  EXPECT_EQ(image.height, 75);  // 1/8 scale: the smallest whose shorter side is >= 70
  EXPECT_EQ(image.width, 100);
}

TEST(ImageCodec, ImagesOverTheSizeLimitAreRejectedBeforeDecoding) {
  const std::vector<uint8_t> row(40000 * 3, 200);
  EXPECT_EQ(reason_of(encode_png(row.data(), 40000, 1)), SkipReason::kImageTooLarge);
  const std::vector<uint8_t> strip(40000 * 8 * 3, 100);
  EXPECT_EQ(reason_of(encode_jpeg(strip.data(), 40000, 8)), SkipReason::kImageTooLarge);
}

TEST(ImageCodec, CorruptAndForeignBytesAreBadImages) {
  EXPECT_EQ(reason_of("#!/bin/sh\necho not an image\n"), SkipReason::kBadImage);
  EXPECT_EQ(reason_of(""), SkipReason::kBadImage);
  const auto rgb = gradient(32, 32);
  const std::string png = encode_png(rgb.data(), 32, 32);
  EXPECT_EQ(reason_of(png.substr(0, png.size() / 2)), SkipReason::kBadImage);
  std::string jpeg = encode_jpeg(rgb.data(), 32, 32);
  EXPECT_EQ(reason_of(jpeg.substr(0, 40)), SkipReason::kBadImage);
  core::Rng rng(3);  // random bytes behind valid magic numbers
  for (int trial = 0; trial < 50; ++trial) {
    std::string junk = trial % 2 ? png.substr(0, 8) : jpeg.substr(0, 3);
    for (int i = 0; i < 300; ++i) junk += static_cast<char>(rng.uniform_int(256));
    try {
      decode_image(junk, 0, "fuzz");
    } catch (const BadSampleError&) {
    }
  }
}

TEST(ImageCodec, FormatsAreSniffedFromTheBytesNotTheName) {
  const std::vector<uint8_t> rgb = {0, 0, 0};
  EXPECT_EQ(sniff_image_format(encode_png(rgb.data(), 1, 1)), ImageFormat::kPng);
  EXPECT_EQ(sniff_image_format(encode_jpeg(rgb.data(), 1, 1)), ImageFormat::kJpeg);
  EXPECT_EQ(sniff_image_format("GIF89a"), ImageFormat::kUnknown);
}

}  // namespace
}  // namespace clipscale::data
