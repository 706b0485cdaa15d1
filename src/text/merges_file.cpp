#include "text/merges_file.h"

#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string_view>

#include "core/error.h"

namespace clipscale::text {
namespace {

constexpr const char* kReadHint =
    "HINT: pass OpenCLIP's bpe_simple_vocab_16e6.txt.gz or a file written by BpeTokenizer::save "
    "(a '#version' header line, then one merge \"a b\" per line; gzip or plain text).";

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Whole (decompressed) content of `path`; gzread passes plain files through unchanged.
std::string read_all(const std::string& path) {
  errno = 0;
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) {
    const int err = errno;
    throw core::UserError(path + ": cannot open BPE merges file (" + (err != 0 ? std::strerror(err) : "out of memory") +
                          "). " + kReadHint);
  }
  std::string content;
  char buffer[1 << 16];
  for (;;) {
    const int got = gzread(file, buffer, sizeof(buffer));
    if (got < 0) {
      int code = 0;
      const std::string message = gzerror(file, &code);
      gzclose(file);
      throw core::UserError(path + ": cannot read BPE merges file (" + message + "). " + kReadHint);
    }
    if (got == 0) break;
    content.append(buffer, static_cast<size_t>(got));
  }
  // gzclose reports a stream that ended early (Z_BUF_ERROR) or failed its CRC.
  const int status = gzclose(file);
  if (status != Z_OK) {
    throw core::UserError(path + ": truncated or corrupt gzip data (zlib status " + std::to_string(status) + "). " +
                          kReadHint);
  }
  return content;
}

bool is_field_separator(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

// Python's str.split() for the ASCII whitespace a merges line can hold.
std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_field_separator(line[i])) ++i;
    const size_t begin = i;
    while (i < line.size() && !is_field_separator(line[i])) ++i;
    if (i > begin) fields.push_back(line.substr(begin, i - begin));
  }
  return fields;
}

std::string quoted_excerpt(std::string_view line) {
  constexpr size_t kMax = 80;
  std::string s(line.substr(0, kMax));
  if (line.size() > kMax) s += "...";
  return "'" + s + "'";
}

}  // namespace

std::vector<Merge> read_merges_file(const std::string& path, int64_t max_merges) {
  CLIPSCALE_CHECK_GE(max_merges, 0) << "max_merges must be non-negative";
  const std::string content = read_all(path);
  const std::string_view text(content);
  size_t line_end = text.find('\n');
  const std::string_view header = text.substr(0, line_end);
  if (header.find("#version") == std::string_view::npos) {
    throw core::UserError(path + ":1: expected a '#version' header line, found " + quoted_excerpt(header) + ". " +
                          kReadHint);
  }
  std::vector<Merge> merges;
  int64_t line_number = 1;
  while (line_end != std::string_view::npos && static_cast<int64_t>(merges.size()) < max_merges) {
    const size_t begin = line_end + 1;
    line_end = text.find('\n', begin);
    ++line_number;
    if (line_end == std::string_view::npos && begin == text.size()) break;  // final newline
    const std::string_view line = text.substr(begin, line_end == std::string_view::npos ? line_end : line_end - begin);
    const std::vector<std::string_view> fields = split_fields(line);
    if (fields.size() != 2) {
      std::ostringstream message;
      message << path << ":" << line_number << ": expected a merge of two space-separated symbols, found "
              << fields.size() << " field(s) in " << quoted_excerpt(line) << ". " << kReadHint;
      throw core::UserError(message.str());
    }
    merges.emplace_back(std::string(fields[0]), std::string(fields[1]));
  }
  return merges;
}

void write_merges_file(const std::string& path, const std::vector<Merge>& merges) {
  std::string content = kMergesFileHeader;
  for (const Merge& m : merges) {
    CLIPSCALE_CHECK(!m.first.empty() && !m.second.empty()) << "empty merge symbol";
    content += '\n';
    content += m.first;
    content += ' ';
    content += m.second;
  }
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  const auto fail = [&](const std::string& what) {
    std::remove(temp.c_str());
    throw core::UserError(path + ": cannot write BPE merges file (" + what +
                          "). HINT: check that the directory exists, is writable and has free space.");
  };
  if (ends_with(path, ".gz")) {
    gzFile file = gzopen(temp.c_str(), "wb9");
    if (file == nullptr) fail(std::strerror(errno));
    const int written = content.empty() ? 0 : gzwrite(file, content.data(), static_cast<unsigned>(content.size()));
    const int status = gzclose(file);
    if (written != static_cast<int>(content.size()) || status != Z_OK) fail("gzip write failed");
  } else {
    std::FILE* file = std::fopen(temp.c_str(), "wb");
    if (file == nullptr) fail(std::strerror(errno));
    const size_t written = std::fwrite(content.data(), 1, content.size(), file);
    const bool flushed = std::fflush(file) == 0;
    const int err = errno;
    const bool closed = std::fclose(file) == 0;
    if (written != content.size() || !flushed || !closed) fail(std::strerror(err));
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) fail(std::strerror(errno));
}

}  // namespace clipscale::text
