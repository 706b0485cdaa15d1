// Conversion of decoded uint8 images to the model's input tensor.
#pragma once

#include <ATen/core/Tensor.h>

#include <array>
#include <cstdint>
#include <vector>

namespace clipscale::data {

/// OpenCLIP's (OpenAI's) normalisation constants.
inline constexpr std::array<float, 3> kImageMean = {0.48145466f, 0.4578275f, 0.40821073f};
inline constexpr std::array<float, 3> kImageStd = {0.26862954f, 0.26130258f, 0.27577711f};

/// Writes one HWC uint8 RGB image into `out` (a [3, S, S] fp32 slot), scaled to [0, 1] and
/// normalised with kImageMean / kImageStd.
void write_normalized_image(const uint8_t* pixels, int64_t size, float* out);

/// Stacks images (each S × S × 3 uint8) into a normalised [B, 3, S, S] fp32 tensor.
at::Tensor images_to_tensor(const std::vector<const std::vector<uint8_t>*>& images, int64_t size);

}  // namespace clipscale::data
