#include "data/bad_sample.h"

namespace clipscale::data {

const char* skip_reason_name(SkipReason reason) {
  switch (reason) {
    case SkipReason::kTruncated: return "truncated";
    case SkipReason::kUnsafeName: return "unsafe_name";
    case SkipReason::kNoImage: return "no_image";
    case SkipReason::kNoCaption: return "no_caption";
    case SkipReason::kBadImage: return "bad_image";
    case SkipReason::kImageTooLarge: return "image_too_large";
    case SkipReason::kBadCaption: return "bad_caption";
  }
  return "unknown";
}

uint64_t SkipCounts::total() const {
  uint64_t sum = 0;
  for (uint64_t c : counts) sum += c;
  return sum;
}

SkipCounts& SkipCounts::operator+=(const SkipCounts& other) {
  for (size_t i = 0; i < counts.size(); ++i) counts[i] += other.counts[i];
  return *this;
}

std::map<std::string, double> SkipCounts::by_name(const std::string& prefix) const {
  std::map<std::string, double> out;
  for (int i = 0; i < kNumSkipReasons; ++i)
    out[prefix + skip_reason_name(static_cast<SkipReason>(i))] = static_cast<double>(counts[static_cast<size_t>(i)]);
  return out;
}

std::string SkipCounts::summary() const {
  std::string out;
  for (int i = 0; i < kNumSkipReasons; ++i) {
    const uint64_t c = counts[static_cast<size_t>(i)];
    if (c == 0) continue;
    out +=
        (out.empty() ? "" : ", ") + std::string(skip_reason_name(static_cast<SkipReason>(i))) + " " + std::to_string(c);
  }
  return out.empty() ? "none" : out;
}

}  // namespace clipscale::data
