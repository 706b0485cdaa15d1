#include "data/image_tensor.h"

#include <torch/torch.h>

#include "core/error.h"

namespace clipscale::data {

void write_normalized_image(const uint8_t* pixels, int64_t size, float* out) {
  const int64_t plane = size * size;
  for (int c = 0; c < 3; ++c) {
    const float scale = 1.0f / (255.0f * kImageStd[c]);
    const float shift = kImageMean[c] / kImageStd[c];
    float* dst = out + c * plane;
    for (int64_t i = 0; i < plane; ++i) dst[i] = static_cast<float>(pixels[i * 3 + c]) * scale - shift;
  }
}

at::Tensor images_to_tensor(const std::vector<const std::vector<uint8_t>*>& images, int64_t size) {
  auto out = torch::empty({static_cast<int64_t>(images.size()), 3, size, size}, torch::kFloat32);
  float* data = out.data_ptr<float>();
  for (size_t i = 0; i < images.size(); ++i) {
    CLIPSCALE_CHECK_EQ(images[i]->size(), static_cast<size_t>(size * size * 3));
    write_normalized_image(images[i]->data(), size, data + static_cast<int64_t>(i) * 3 * size * size);
  }
  return out;
}

}  // namespace clipscale::data
