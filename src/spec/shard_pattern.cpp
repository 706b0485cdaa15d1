#include "spec/shard_pattern.h"

#include <cctype>
#include <cstdlib>

#include "core/error.h"

namespace clipscale::spec {
namespace {

[[noreturn]] void fail(const std::string& what, const std::string& pattern, const std::string& rule) {
  throw core::UserError(what + " = \"" + pattern + "\": " + rule +
                        ". HINT: write shards as dir/{00000..00127}.tar, {a,b} alternatives, "
                        "${VAR:-default} for environment variables, and :: between patterns.");
}

bool all_digits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

/// The alternatives of one brace group's inner text ("00..12" or "a,b").
std::vector<std::string> group_alternatives(const std::string& inner, const std::string& what,
                                            const std::string& pattern) {
  const size_t dots = inner.find("..");
  if (dots != std::string::npos && inner.find(',') == std::string::npos) {
    const std::string lo = inner.substr(0, dots), hi = inner.substr(dots + 2);
    if (!all_digits(lo) || !all_digits(hi) || lo.size() > 18 || hi.size() > 18)
      fail(what, pattern, "the range {" + inner + "} is not {a..b} with decimal numbers a and b");
    const unsigned long long a = std::strtoull(lo.c_str(), nullptr, 10), b = std::strtoull(hi.c_str(), nullptr, 10);
    if (a > b) fail(what, pattern, "the range {" + inner + "} violates a <= b");
    if (b - a >= kMaxShardPaths) fail(what, pattern, "the range {" + inner + "} has more than 10^7 entries");
    const bool pad = (lo.size() > 1 && lo[0] == '0') || lo.size() == hi.size();
    std::vector<std::string> out;
    out.reserve(static_cast<size_t>(b - a + 1));
    for (unsigned long long v = a; v <= b; ++v) {
      std::string s = std::to_string(v);
      if (pad && s.size() < lo.size()) s.insert(0, lo.size() - s.size(), '0');
      out.push_back(std::move(s));
    }
    return out;
  }
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t comma = inner.find(',', start);
    out.push_back(inner.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (out.size() == 1) fail(what, pattern, "the group {" + inner + "} is neither a range {a..b} nor a list {x,y}");
  return out;
}

void expand_one(const std::string& pattern, const std::string& full, const std::string& what,
                std::vector<std::string>& out) {
  std::vector<std::string> partial = {""};
  size_t i = 0;
  while (i < pattern.size()) {
    const size_t open = pattern.find_first_of("{}", i);
    const std::string literal = pattern.substr(i, open == std::string::npos ? std::string::npos : open - i);
    for (auto& p : partial) p += literal;
    if (open == std::string::npos) break;
    if (pattern[open] == '}') fail(what, full, "a '}' without its '{'");
    const size_t close = pattern.find_first_of("{}", open + 1);
    if (close == std::string::npos || pattern[close] == '{')
      fail(what, full, "a '{' without its '}' (groups cannot nest)");
    const std::vector<std::string> alternatives =
        group_alternatives(pattern.substr(open + 1, close - open - 1), what, full);
    if (partial.size() * alternatives.size() + out.size() > kMaxShardPaths)
      fail(what, full, "the pattern expands to more than 10^7 paths");
    std::vector<std::string> next;
    next.reserve(partial.size() * alternatives.size());
    for (const auto& p : partial)
      for (const auto& a : alternatives) next.push_back(p + a);
    partial = std::move(next);
    i = close + 1;
  }
  for (auto& p : partial) {
    if (p.empty()) fail(what, full, "an empty path");
    out.push_back(std::move(p));
  }
}

}  // namespace

std::string expand_environment(const std::string& text, const std::string& what) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = text.find("${", i);
    out += text.substr(i, start == std::string::npos ? std::string::npos : start - i);
    if (start == std::string::npos) break;
    const size_t end = text.find('}', start + 2);
    if (end == std::string::npos) fail(what, text, "a '${' without its '}'");
    const std::string body = text.substr(start + 2, end - start - 2);
    const size_t dash = body.find(":-");
    const std::string name = body.substr(0, dash);
    if (name.empty()) fail(what, text, "an empty variable name in ${}");
    const char* value = std::getenv(name.c_str());
    if (value != nullptr && *value != '\0') {
      out += value;
    } else if (dash != std::string::npos) {
      out += body.substr(dash + 2);
    } else {
      throw core::UserError(what + " = \"" + text + "\" uses the environment variable " + name +
                            ", which is not set. HINT: export " + name + "=... or write ${" + name +
                            ":-default} in the pattern.");
    }
    i = end + 1;
  }
  return out;
}

std::vector<std::string> expand_shard_pattern(const std::string& pattern, const std::string& what) {
  const std::string expanded = expand_environment(pattern, what);
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t sep = expanded.find("::", start);
    expand_one(expanded.substr(start, sep == std::string::npos ? std::string::npos : sep - start), pattern, what, out);
    if (sep == std::string::npos) break;
    start = sep + 2;
  }
  return out;
}

}  // namespace clipscale::spec
