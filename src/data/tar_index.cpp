#include "data/tar_index.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "core/error.h"

namespace clipscale::data {
namespace {

struct ShardStat {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
};

ShardStat stat_shard(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw core::UserError("shard " + path + " cannot be opened: " + std::strerror(errno) +
                          ". HINT: check data.source (and the environment variables it uses).");
  if (!S_ISREG(st.st_mode))
    throw core::UserError("shard " + path + " is not a regular file. HINT: data.source must name tar files.");
  return {static_cast<uint64_t>(st.st_size),
          static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

/// Compressed shards cannot be read by offset; say so instead of "unrecognized archive format".
void refuse_compressed(const std::string& path) {
  unsigned char magic[6] = {};
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;  // stat succeeded; libarchive reports the open failure with its reason
  const ssize_t n = ::pread(fd, magic, sizeof(magic), 0);
  ::close(fd);
  const auto starts = [&](std::initializer_list<unsigned char> m) {
    if (n < static_cast<ssize_t>(m.size())) return false;
    size_t i = 0;
    for (unsigned char c : m)
      if (magic[i++] != c) return false;
    return true;
  };
  const char* kind = starts({0x1f, 0x8b})                 ? "gzip"
                     : starts({0x28, 0xb5, 0x2f, 0xfd})   ? "zstd"
                     : starts({0xfd, '7', 'z', 'X', 'Z'}) ? "xz"
                     : starts({'B', 'Z', 'h'})            ? "bzip2"
                                                          : nullptr;
  if (kind != nullptr)
    throw core::UserError(
        "shard " + path + " is " + kind +
        "-compressed; clipscale reads samples by offset and needs plain tar shards. "
        "HINT: decompress the shards (e.g. gunzip, zstd -d) and point data.source at the .tar files.");
}

std::string percent_encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c <= 0x20 || c == '%' || c >= 0x7f) {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02X", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

bool percent_decode(const std::string& s, std::string* out) {
  out->clear();
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      *out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return false;
    const auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    const int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
    if (hi < 0 || lo < 0) return false;
    *out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

/// Writes `text` to a temporary file beside `path` and renames it over `path`. False on failure.
bool write_replacing(const std::string& path, const std::string& text) {
  static std::atomic<uint64_t> counter{0};
  const std::filesystem::path target(path);
  const std::filesystem::path tmp =
      target.parent_path() /
      ("." + target.filename().string() + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++));
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return false;
    out << text;
    out.flush();
    if (!out) {
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, target, ec);
  if (ec) std::filesystem::remove(tmp, ec);
  return !ec;
}

}  // namespace

std::string tar_index_path(const std::string& shard_path) { return shard_path + ".clipscale-idx"; }

TarIndex build_tar_index(const std::string& shard_path) {
  const ShardStat st = stat_shard(shard_path);
  refuse_compressed(shard_path);
  TarIndex index;
  index.shard_size = st.size;
  index.shard_mtime_ns = st.mtime_ns;

  std::unique_ptr<archive, int (*)(archive*)> a(archive_read_new(), archive_read_free);
  CLIPSCALE_CHECK(a != nullptr) << "archive_read_new failed";
  archive_read_support_format_tar(a.get());  // ustar, pax and GNU tar; no decompression filters
  {
    const int fd = ::open(shard_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      throw core::UserError("shard " + shard_path + " cannot be opened: " + std::strerror(errno) +
                            ". HINT: check the file's permissions.");
    ::close(fd);
  }
  // libarchive reads the first header when opening: a file that is not a tar fails here.
  if (archive_read_open_filename(a.get(), shard_path.c_str(), 1 << 16) != ARCHIVE_OK) {
    index.truncated = true;
    const char* why = archive_error_string(a.get());
    index.problem = why != nullptr ? why : "not a tar file";
    return index;
  }
  archive_entry* entry = nullptr;
  while (true) {
    const int r = archive_read_next_header(a.get(), &entry);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      index.truncated = true;
      const char* why = archive_error_string(a.get());
      index.problem = why != nullptr ? why : "unreadable header";
      break;
    }
    // Only plain files: a hard link's or sparse file's bytes are not one contiguous run of data.
    if (archive_entry_filetype(entry) != AE_IFREG || archive_entry_hardlink(entry) != nullptr ||
        archive_entry_sparse_count(entry) > 0)
      continue;
    // After a header, the format reader has consumed exactly the header blocks (pax and GNU
    // long-name records included): the uncompressed position is the first byte of the data.
    const int64_t offset = archive_filter_bytes(a.get(), 0);
    const int64_t size = archive_entry_size(entry);
    const char* name = archive_entry_pathname(entry);
    if (offset < 0 || size < 0 || name == nullptr) continue;
    if (static_cast<uint64_t>(offset) > st.size ||
        static_cast<uint64_t>(size) > st.size - static_cast<uint64_t>(offset)) {
      index.truncated = true;
      index.problem = std::string("member ") + name + " ends past the end of the file";
      break;
    }
    index.members.push_back({name, static_cast<uint64_t>(offset), static_cast<uint64_t>(size)});
  }
  return index;
}

std::string serialize_tar_index(const TarIndex& index) {
  std::ostringstream out;
  out << "clipscale-tar-index " << kTarIndexSchemaVersion << "\n"
      << "shard_size " << index.shard_size << "\n"
      << "shard_mtime_ns " << index.shard_mtime_ns << "\n"
      << "truncated " << (index.truncated ? 1 : 0) << " "
      << (index.problem.empty() ? "-" : percent_encode(index.problem)) << "\n"
      << "members " << index.members.size() << "\n";
  for (const auto& m : index.members) out << m.offset << " " << m.size << " " << percent_encode(m.name) << "\n";
  out << "end\n";
  return out.str();
}

bool parse_tar_index(const std::string& text, TarIndex* index) {
  std::istringstream in(text);
  std::string word, problem;
  int version = 0, truncated = 0;
  size_t count = 0;
  TarIndex parsed;
  if (!(in >> word >> version) || word != "clipscale-tar-index" || version != kTarIndexSchemaVersion) return false;
  if (!(in >> word >> parsed.shard_size) || word != "shard_size") return false;
  if (!(in >> word >> parsed.shard_mtime_ns) || word != "shard_mtime_ns") return false;
  if (!(in >> word >> truncated >> problem) || word != "truncated") return false;
  parsed.truncated = truncated != 0;
  if (problem != "-" && !percent_decode(problem, &parsed.problem)) return false;
  if (!(in >> word >> count) || word != "members") return false;
  parsed.members.resize(count);
  for (auto& m : parsed.members) {
    std::string encoded;
    if (!(in >> m.offset >> m.size >> encoded) || !percent_decode(encoded, &m.name)) return false;
    if (m.offset > parsed.shard_size || m.size > parsed.shard_size - m.offset) return false;
  }
  if (!(in >> word) || word != "end") return false;
  *index = std::move(parsed);
  return true;
}

TarIndex load_tar_index(const std::string& shard_path, bool write_cache) {
  const ShardStat st = stat_shard(shard_path);
  const std::string cache = tar_index_path(shard_path);
  {
    std::ifstream in(cache, std::ios::binary);
    if (in) {
      std::ostringstream text;
      text << in.rdbuf();
      TarIndex cached;
      if (parse_tar_index(text.str(), &cached) && cached.shard_size == st.size && cached.shard_mtime_ns == st.mtime_ns)
        return cached;
      spdlog::debug("index {} is stale or unreadable; rebuilding it", cache);
    }
  }
  TarIndex index = build_tar_index(shard_path);
  if (write_cache && !write_replacing(cache, serialize_tar_index(index)))
    spdlog::debug("cannot write the index cache {}; the index is kept in memory only", cache);
  return index;
}

}  // namespace clipscale::data
