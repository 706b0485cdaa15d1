#include "data/image_transform.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace clipscale::data {
namespace {

/// PIL's bicubic kernel (a = -0.5); support 2.
double bicubic(double x) {
  constexpr double a = -0.5;
  x = std::abs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
  return 0.0;
}

/// Filter taps of one axis: output i reads input [first[i], first[i] + count[i]) with weights
/// weights[i * max_taps + t] (PIL's precompute_coeffs).
struct Taps {
  std::vector<int64_t> first, count;
  std::vector<float> weights;
  int64_t max_taps = 0;
};

Taps compute_taps(double in0, double in1, int64_t in_size, int64_t out_size) {
  const double scale = (in1 - in0) / static_cast<double>(out_size);
  const double filter_scale = std::max(scale, 1.0);
  const double support = 2.0 * filter_scale;
  Taps taps;
  taps.max_taps = static_cast<int64_t>(std::ceil(support)) * 2 + 1;
  taps.first.resize(static_cast<size_t>(out_size));
  taps.count.resize(static_cast<size_t>(out_size));
  taps.weights.assign(static_cast<size_t>(out_size * taps.max_taps), 0.0f);
  for (int64_t i = 0; i < out_size; ++i) {
    const double center = in0 + (static_cast<double>(i) + 0.5) * scale;
    int64_t lo = std::max<int64_t>(static_cast<int64_t>(center - support + 0.5), 0);
    int64_t hi = std::min<int64_t>(static_cast<int64_t>(center + support + 0.5), in_size);
    if (hi <= lo) {  // a crop at the very edge: read the nearest pixel
      lo = std::clamp<int64_t>(static_cast<int64_t>(center), 0, in_size - 1);
      hi = lo + 1;
    }
    hi = std::min(hi, lo + taps.max_taps);
    double total = 0;
    float* w = &taps.weights[static_cast<size_t>(i * taps.max_taps)];
    for (int64_t x = lo; x < hi; ++x) {
      const double v = bicubic((static_cast<double>(x) - center + 0.5) / filter_scale);
      w[x - lo] = static_cast<float>(v);
      total += v;
    }
    if (total != 0)
      for (int64_t t = 0; t < hi - lo; ++t) w[t] = static_cast<float>(w[t] / total);
    taps.first[static_cast<size_t>(i)] = lo;
    taps.count[static_cast<size_t>(i)] = hi - lo;
  }
  return taps;
}

std::vector<uint8_t> resample(const RgbImage& image, const CropBox& box, int64_t out_w, int64_t out_h) {
  CLIPSCALE_CHECK(out_w > 0 && out_h > 0 && image.width > 0 && image.height > 0);
  CLIPSCALE_CHECK_EQ(image.pixels.size(), static_cast<size_t>(image.width * image.height * 3));
  // The box is in the stored image's coordinates; the decode may be at a reduced scale.
  const double sx =
      static_cast<double>(image.width) / static_cast<double>(image.full_width > 0 ? image.full_width : image.width);
  const double sy =
      static_cast<double>(image.height) / static_cast<double>(image.full_height > 0 ? image.full_height : image.height);
  const Taps horizontal = compute_taps(box.x0 * sx, (box.x0 + box.width) * sx, image.width, out_w);
  const Taps vertical = compute_taps(box.y0 * sy, (box.y0 + box.height) * sy, image.height, out_h);
  // Horizontal pass over the rows the vertical taps read.
  const int64_t row_lo = vertical.first.front();
  const int64_t row_hi = vertical.first.back() + vertical.count.back();
  std::vector<float> rows(static_cast<size_t>((row_hi - row_lo) * out_w * 3));
  for (int64_t y = row_lo; y < row_hi; ++y) {
    const uint8_t* src = &image.pixels[static_cast<size_t>(y * image.width * 3)];
    float* dst = &rows[static_cast<size_t>((y - row_lo) * out_w * 3)];
    for (int64_t x = 0; x < out_w; ++x) {
      const float* w = &horizontal.weights[static_cast<size_t>(x * horizontal.max_taps)];
      const uint8_t* p = src + horizontal.first[static_cast<size_t>(x)] * 3;
      float r = 0, g = 0, b = 0;
      for (int64_t t = 0; t < horizontal.count[static_cast<size_t>(x)]; ++t, p += 3) {
        r += w[t] * p[0];
        g += w[t] * p[1];
        b += w[t] * p[2];
      }
      dst[x * 3] = r;
      dst[x * 3 + 1] = g;
      dst[x * 3 + 2] = b;
    }
  }
  std::vector<uint8_t> out(static_cast<size_t>(out_w * out_h * 3));
  std::vector<float> acc(static_cast<size_t>(out_w * 3));
  for (int64_t y = 0; y < out_h; ++y) {
    std::fill(acc.begin(), acc.end(), 0.0f);
    const float* w = &vertical.weights[static_cast<size_t>(y * vertical.max_taps)];
    for (int64_t t = 0; t < vertical.count[static_cast<size_t>(y)]; ++t) {
      const float* src = &rows[static_cast<size_t>((vertical.first[static_cast<size_t>(y)] + t - row_lo) * out_w * 3)];
      for (int64_t i = 0; i < out_w * 3; ++i) acc[static_cast<size_t>(i)] += w[t] * src[i];
    }
    uint8_t* dst = &out[static_cast<size_t>(y * out_w * 3)];
    for (int64_t i = 0; i < out_w * 3; ++i)
      dst[i] = static_cast<uint8_t>(std::clamp(std::lround(acc[static_cast<size_t>(i)]), 0L, 255L));
  }
  return out;
}

}  // namespace

CropBox random_resized_crop_box(int64_t width, int64_t height, core::Rng& rng,
                                const RandomResizedCropOptions& options) {
  CLIPSCALE_CHECK(width > 0 && height > 0);
  const double area = static_cast<double>(width * height);
  const double log_lo = std::log(options.ratio_min), log_hi = std::log(options.ratio_max);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target = area * rng.uniform(options.scale_min, options.scale_max);
    const double aspect = std::exp(rng.uniform(log_lo, log_hi));
    const int64_t w = std::llround(std::sqrt(target * aspect));
    const int64_t h = std::llround(std::sqrt(target / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const int64_t y = static_cast<int64_t>(rng.uniform_int(static_cast<uint64_t>(height - h + 1)));
      const int64_t x = static_cast<int64_t>(rng.uniform_int(static_cast<uint64_t>(width - w + 1)));
      return {static_cast<double>(x), static_cast<double>(y), static_cast<double>(w), static_cast<double>(h)};
    }
  }
  const double in_ratio = static_cast<double>(width) / static_cast<double>(height);
  int64_t w = width, h = height;
  if (in_ratio < options.ratio_min) {
    h = std::llround(static_cast<double>(w) / options.ratio_min);
  } else if (in_ratio > options.ratio_max) {
    w = std::llround(static_cast<double>(h) * options.ratio_max);
  }
  return {static_cast<double>((width - w) / 2), static_cast<double>((height - h) / 2), static_cast<double>(w),
          static_cast<double>(h)};
}

CropBox center_crop_box(int64_t width, int64_t height) {
  const int64_t side = std::min(width, height);
  return {static_cast<double>(width - side) / 2.0, static_cast<double>(height - side) / 2.0, static_cast<double>(side),
          static_cast<double>(side)};
}

std::vector<uint8_t> resize_crop(const RgbImage& image, const CropBox& box, int64_t size) {
  return resample(image, box, size, size);
}

std::vector<uint8_t> resize_image(const RgbImage& image, int64_t width, int64_t height) {
  const double fw = static_cast<double>(image.full_width > 0 ? image.full_width : image.width);
  const double fh = static_cast<double>(image.full_height > 0 ? image.full_height : image.height);
  return resample(image, {0, 0, fw, fh}, width, height);
}

}  // namespace clipscale::data
