// Bad input in a pool: why a sample was left out or replaced, and how many were.
//
// Policy (README, "Real data"): nothing in a shard can crash a run or make it read outside the
// shard. Problems found when a pool is opened (the member index) exclude the sample from the pool;
// problems found when a sample is decoded make the loader replace it by a deterministic substitute
// (see Loader). Both are counted by reason, and the counts go into the run file.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>

#include "core/error.h"

namespace clipscale::data {

enum class SkipReason : int {
  kTruncated = 0,  ///< a shard ends early or its headers are damaged (one per shard)
  kUnsafeName,     ///< a member name with a ".." component or an absolute path
  kNoImage,        ///< a sample without a .jpg/.jpeg/.png member (e.g. a lone .exe or .md)
  kNoCaption,      ///< a sample without a .txt member
  kBadImage,       ///< an image member that does not decode as JPEG or PNG
  kImageTooLarge,  ///< an image over kMaxImageSide per side or kMaxImagePixels (checked before decoding)
  kBadCaption,     ///< an empty (after trimming) or non-UTF-8 caption, or one over kMaxCaptionBytes
};
inline constexpr int kNumSkipReasons = 7;

/// "truncated", "unsafe_name", "no_image", "no_caption", "bad_image", "image_too_large", "bad_caption".
const char* skip_reason_name(SkipReason reason);

/// Counts by reason.
struct SkipCounts {
  std::array<uint64_t, kNumSkipReasons> counts{};

  void add(SkipReason reason, uint64_t n = 1) { counts[static_cast<size_t>(reason)] += n; }
  uint64_t operator[](SkipReason reason) const { return counts[static_cast<size_t>(reason)]; }
  uint64_t total() const;
  SkipCounts& operator+=(const SkipCounts& other);
  /// Every reason (zeros included) by name, keys prefixed with `prefix` ("replaced_bad_image").
  std::map<std::string, double> by_name(const std::string& prefix = "") const;
  /// "bad_image 3, no_caption 1" (non-zero reasons only), or "none".
  std::string summary() const;
};

/// A sample that cannot be used. The message names the shard and member, what was found and
/// the rule, and ends with a HINT (it is a UserError so that a caller that cannot skip reports it).
class BadSampleError : public core::UserError {
 public:
  BadSampleError(SkipReason reason, const std::string& message) : core::UserError(message), reason_(reason) {}
  SkipReason reason() const { return reason_; }

 private:
  SkipReason reason_;
};

}  // namespace clipscale::data
