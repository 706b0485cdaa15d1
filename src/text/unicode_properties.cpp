#include "text/unicode_properties.h"

#include <algorithm>
#include <array>
#include <iterator>

namespace clipscale::text {
namespace {

#include "text/unicode_tables.inc"

// Index of the last entry of a sorted array that is <= cp (the array starts at 0 or cp is larger).
template <size_t N>
size_t last_at_or_below(const char32_t (&starts)[N], char32_t cp) {
  return static_cast<size_t>(std::upper_bound(std::begin(starts), std::end(starts), cp) - std::begin(starts)) - 1;
}

// A boolean property stored as toggle points: true inside [b0, b1), [b2, b3), ...
template <size_t N>
bool in_boundaries(const char32_t (&boundaries)[N], char32_t cp) {
  const auto count = std::upper_bound(std::begin(boundaries), std::end(boundaries), cp) - std::begin(boundaries);
  return count % 2 == 1;
}

char32_t simple_lower(char32_t cp) {
  if (cp < 0x80) return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp;
  const auto it = std::upper_bound(std::begin(kLowerRuns), std::end(kLowerRuns), cp,
                                   [](char32_t c, const LowerRun& run) { return c < run.first; });
  if (it == std::begin(kLowerRuns)) return cp;
  const LowerRun& run = *std::prev(it);
  const char32_t offset = cp - run.first;
  if (offset % run.stride != 0 || offset / run.stride >= run.count) return cp;
  return static_cast<char32_t>(static_cast<int64_t>(cp) + run.delta);
}

constexpr char32_t kCapitalSigma = 0x3A3;
constexpr char32_t kSmallSigma = 0x3C3;
constexpr char32_t kFinalSigma = 0x3C2;

// CPython's handle_capital_sigma: \p{cased} \p{case-ignorable}* Σ !(\p{case-ignorable}* \p{cased}).
bool is_final_sigma(std::u32string_view text, size_t i) {
  size_t j = i;
  while (j > 0 && is_case_ignorable(text[j - 1])) --j;
  if (j == 0 || !is_cased(text[j - 1])) return false;
  size_t k = i + 1;
  while (k < text.size() && is_case_ignorable(text[k])) ++k;
  return k == text.size() || !is_cased(text[k]);
}

}  // namespace

CharClass char_class(char32_t cp) {
  static_assert(std::size(kClassRunStart) == std::size(kClassRunClass));
  // ASCII is most of every caption: answer it from a direct table.
  static const std::array<CharClass, 128> kAscii = [] {
    std::array<CharClass, 128> table{};
    for (char32_t c = 0; c < 128; ++c) {
      table[c] = static_cast<CharClass>(kClassRunClass[last_at_or_below(kClassRunStart, c)]);
    }
    return table;
  }();
  if (cp < 128) return kAscii[cp];
  return static_cast<CharClass>(kClassRunClass[last_at_or_below(kClassRunStart, cp)]);
}

bool is_python_space(char32_t cp) { return in_boundaries(kPythonSpaceBoundaries, cp); }

bool is_cased(char32_t cp) { return in_boundaries(kCasedBoundaries, cp); }

bool is_case_ignorable(char32_t cp) { return in_boundaries(kCaseIgnorableBoundaries, cp); }

std::u32string to_lower(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char32_t cp = text[i];
    if (cp == 0x130) {
      out.push_back(U'i');
      out.push_back(0x307);
    } else if (cp == kCapitalSigma) {
      out.push_back(is_final_sigma(text, i) ? kFinalSigma : kSmallSigma);
    } else {
      out.push_back(simple_lower(cp));
    }
  }
  return out;
}

}  // namespace clipscale::text
