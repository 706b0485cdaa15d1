#include "data/image_codec.h"

#include <png.h>
#include <turbojpeg.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "core/error.h"
#include "data/bad_sample.h"

namespace clipscale::data {
namespace {

struct TjDeleter {
  void operator()(void* handle) const {
    if (handle != nullptr) tjDestroy(handle);
  }
};
using TjHandle = std::unique_ptr<void, TjDeleter>;

/// One decompressor per thread (the loader's workers decode concurrently).
tjhandle decompressor() {
  thread_local TjHandle handle(tjInitDecompress());
  CLIPSCALE_CHECK(handle != nullptr) << "tjInitDecompress failed";
  return handle.get();
}

tjhandle compressor() {
  thread_local TjHandle handle(tjInitCompress());
  CLIPSCALE_CHECK(handle != nullptr) << "tjInitCompress failed";
  return handle.get();
}

void check_size(int64_t width, int64_t height, const char* format, const std::string& where) {
  if (width <= 0 || height <= 0)
    throw BadSampleError(SkipReason::kBadImage, where + ": the " + std::string(format) + " header gives a size of " +
                                                    std::to_string(width) + "x" + std::to_string(height) +
                                                    ". HINT: the image is corrupt; re-encode or drop it.");
  if (width > kMaxImageSide || height > kMaxImageSide || width * height > kMaxImagePixels)
    throw BadSampleError(SkipReason::kImageTooLarge,
                         where + ": the image is " + std::to_string(width) + "x" + std::to_string(height) +
                             " pixels, over the limit of " + std::to_string(kMaxImageSide) + " per side and " +
                             std::to_string(kMaxImagePixels) +
                             " pixels (checked before decoding). "
                             "HINT: resize the pool's images (img2dataset --image_size) before training.");
}

RgbImage decode_jpeg(std::string_view bytes, int64_t min_side, const std::string& where) {
  tjhandle tj = decompressor();
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  const auto size = static_cast<unsigned long>(bytes.size());
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  if (tjDecompressHeader3(tj, data, size, &width, &height, &subsampling, &colorspace) != 0)
    throw BadSampleError(SkipReason::kBadImage, where + ": not a decodable JPEG (" + tjGetErrorStr2(tj) +
                                                    "). HINT: the member is corrupt or not an image.");
  check_size(width, height, "JPEG", where);
  tjscalingfactor chosen{1, 1};
  if (min_side > 0) {
    int count = 0;
    const tjscalingfactor* factors = tjGetScalingFactors(&count);
    const int shorter = std::min(width, height);
    for (int i = 0; i < count; ++i) {  // pick the smallest reduction that keeps min_side
      const tjscalingfactor f = factors[i];
      if (f.num > f.denom) continue;
      if (TJSCALED(shorter, f) >= min_side && f.num * chosen.denom < chosen.num * f.denom) chosen = f;
    }
  }
  RgbImage image;
  image.full_width = width;
  image.full_height = height;
  image.width = TJSCALED(width, chosen);
  image.height = TJSCALED(height, chosen);
  image.pixels.resize(static_cast<size_t>(image.width * image.height * 3));
  if (tjDecompress2(tj, data, size, image.pixels.data(), static_cast<int>(image.width), 0,
                    static_cast<int>(image.height), TJPF_RGB, 0) != 0 &&
      tjGetErrorCode(tj) != TJERR_WARNING)
    throw BadSampleError(SkipReason::kBadImage, where + ": the JPEG does not decode (" + tjGetErrorStr2(tj) +
                                                    "). HINT: the member is corrupt; re-encode or drop it.");
  return image;
}

RgbImage decode_png(std::string_view bytes, const std::string& where) {
  png_image png;
  std::memset(&png, 0, sizeof(png));
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&png, bytes.data(), bytes.size()))
    throw BadSampleError(SkipReason::kBadImage, where + ": not a decodable PNG (" + std::string(png.message) +
                                                    "). HINT: the member is corrupt or not an image.");
  struct Cleanup {
    png_image* p;
    ~Cleanup() { png_image_free(p); }
  } cleanup{&png};
  check_size(png.width, png.height, "PNG", where);
  png.format = PNG_FORMAT_RGB;
  RgbImage image;
  image.width = image.full_width = png.width;
  image.height = image.full_height = png.height;
  image.pixels.resize(PNG_IMAGE_SIZE(png));
  png_color white{255, 255, 255};
  if (!png_image_finish_read(&png, &white, image.pixels.data(), 0, nullptr))
    throw BadSampleError(SkipReason::kBadImage, where + ": the PNG does not decode (" + std::string(png.message) +
                                                    "). HINT: the member is corrupt; re-encode or drop it.");
  return image;
}

}  // namespace

ImageFormat sniff_image_format(std::string_view bytes) {
  static const unsigned char kPng[8] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
  if (bytes.size() >= 3 && static_cast<unsigned char>(bytes[0]) == 0xff &&
      static_cast<unsigned char>(bytes[1]) == 0xd8 && static_cast<unsigned char>(bytes[2]) == 0xff)
    return ImageFormat::kJpeg;
  if (bytes.size() >= 8 && std::memcmp(bytes.data(), kPng, 8) == 0) return ImageFormat::kPng;
  return ImageFormat::kUnknown;
}

RgbImage decode_image(std::string_view bytes, int64_t min_side, const std::string& where) {
  switch (sniff_image_format(bytes)) {
    case ImageFormat::kJpeg: return decode_jpeg(bytes, min_side, where);
    case ImageFormat::kPng: return decode_png(bytes, where);
    case ImageFormat::kUnknown: break;
  }
  throw BadSampleError(SkipReason::kBadImage, where + ": " + std::to_string(bytes.size()) +
                                                  " bytes that are neither JPEG nor PNG. "
                                                  "HINT: only JPEG and PNG images are read; convert the others.");
}

std::string encode_png(const uint8_t* rgb, int64_t width, int64_t height) {
  png_image png;
  std::memset(&png, 0, sizeof(png));
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(width);
  png.height = static_cast<png_uint_32>(height);
  png.format = PNG_FORMAT_RGB;
  png_alloc_size_t bytes = 0;
  CLIPSCALE_CHECK(png_image_write_to_memory(&png, nullptr, &bytes, 0, rgb, 0, nullptr)) << png.message;
  std::string out(bytes, '\0');
  CLIPSCALE_CHECK(png_image_write_to_memory(&png, out.data(), &bytes, 0, rgb, 0, nullptr)) << png.message;
  out.resize(bytes);
  return out;
}

std::string encode_jpeg(const uint8_t* rgb, int64_t width, int64_t height, int quality) {
  tjhandle tj = compressor();
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  const int r = tjCompress2(tj, rgb, static_cast<int>(width), 0, static_cast<int>(height), TJPF_RGB, &buffer, &size,
                            TJSAMP_420, quality, 0);
  std::unique_ptr<unsigned char, void (*)(unsigned char*)> owned(buffer, tjFree);
  CLIPSCALE_CHECK_EQ(r, 0) << tjGetErrorStr2(tj);
  return std::string(reinterpret_cast<const char*>(buffer), size);
}

}  // namespace clipscale::data
