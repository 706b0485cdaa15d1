// JPEG (libjpeg-turbo's TurboJPEG API) and PNG (libpng) decoding to RGB, with the image's size
// checked from its header before any pixel is decoded, and encoding for the shard writers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace clipscale::data {

/// Images wider or taller than this are rejected before decoding (SkipReason::kImageTooLarge).
inline constexpr int64_t kMaxImageSide = 16384;
/// Images with more pixels than this (32 Mpx) are rejected before decoding.
inline constexpr int64_t kMaxImagePixels = int64_t{1} << 25;

enum class ImageFormat { kUnknown, kJpeg, kPng };

/// The format from the first bytes (JPEG FF D8 FF, PNG's 8-byte signature); the member's
/// extension is not trusted.
ImageFormat sniff_image_format(std::string_view bytes);

/// A decoded image: height × width × 3 RGB bytes, row-major.
struct RgbImage {
  int64_t width = 0;
  int64_t height = 0;
  int64_t full_width = 0;   ///< the stored image's size; larger than width/height when a JPEG
  int64_t full_height = 0;  ///< was decoded at a reduced DCT scale
  std::vector<uint8_t> pixels;
};

/// Decodes JPEG or PNG `bytes`. With `min_side` > 0 a JPEG is decoded at the smallest DCT scale
/// (1/8 ... 1) whose shorter side is still >= min_side, which is much faster for large photos.
/// Grey, palette and 16-bit PNGs become 8-bit RGB; transparency is composited over white.
/// Corrupt-data warnings that still decode the whole image are accepted (as PIL does).
/// Throws BadSampleError naming `where` (e.g. "shard x.tar member 12.jpg"): kImageTooLarge when
/// the header's size exceeds kMaxImageSide or kMaxImagePixels, kBadImage for anything else.
RgbImage decode_image(std::string_view bytes, int64_t min_side, const std::string& where);

/// PNG (8-bit RGB) of height × width × 3 `rgb` bytes. Throws core::Error when libpng fails.
std::string encode_png(const uint8_t* rgb, int64_t width, int64_t height);
/// JPEG (4:2:0) of height × width × 3 `rgb` bytes at `quality` (1–100).
std::string encode_jpeg(const uint8_t* rgb, int64_t width, int64_t height, int quality = 90);

}  // namespace clipscale::data
