// OpenCLIP's image transforms (open_clip/transform.py), on decoded RGB bytes:
//   train: RandomResizedCrop(size, scale=(0.9, 1.0), ratio=(3/4, 4/3), bicubic)
//   eval:  Resize(size, bicubic) on the shorter side, then CenterCrop(size)
// followed (in the loader) by ToTensor and the CLIP mean/std of image_tensor.h. The crop is drawn
// from a caller-provided Rng, so the loader makes it a pure function of (data seed, sample k).
// Resampling is PIL's separable bicubic (a = -0.5) with the filter widened by the scale factor
// when shrinking (antialiasing), in float, rounded once at the end.
#pragma once

#include <cstdint>
#include <vector>

#include "core/hash.h"
#include "data/image_codec.h"

namespace clipscale::data {

/// A crop in the stored image's pixel coordinates (full_width × full_height): x0, y0 are the
/// top-left corner, width and height the extent.
struct CropBox {
  double x0 = 0, y0 = 0, width = 0, height = 0;
};

struct RandomResizedCropOptions {
  double scale_min = 0.9;  ///< crop area as a fraction of the image area (OpenCLIP's default)
  double scale_max = 1.0;
  double ratio_min = 3.0 / 4.0;  ///< crop aspect ratio width / height, drawn log-uniformly
  double ratio_max = 4.0 / 3.0;
};

/// torchvision's RandomResizedCrop.get_params: up to 10 draws of (area, log-ratio) until the crop
/// fits, then a uniformly placed integer crop; otherwise the centred crop with the ratio clamped.
CropBox random_resized_crop_box(int64_t width, int64_t height, core::Rng& rng,
                                const RandomResizedCropOptions& options = {});

/// The eval crop: the centred square of side min(width, height).
CropBox center_crop_box(int64_t width, int64_t height);

/// Resamples `box` (in full_width × full_height coordinates; the image may be a reduced-scale
/// JPEG decode) to size × size × 3 RGB bytes.
std::vector<uint8_t> resize_crop(const RgbImage& image, const CropBox& box, int64_t size);

/// Resizes a whole image to width × height (for converters that upscale, e.g. Fashion-MNIST).
std::vector<uint8_t> resize_image(const RgbImage& image, int64_t width, int64_t height);

}  // namespace clipscale::data
