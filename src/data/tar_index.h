// The member index of one tar shard: where each regular file's bytes lie, so a sample is read
// with one pread instead of a scan. Built once with libarchive and cached beside the shard as
// "<shard>.clipscale-idx" (written atomically: a temporary file renamed over the target); a cache
// whose recorded shard size or modification time differs from the shard's is rebuilt.
//
// Cache format (text, one member per line; names percent-encoded, so any byte may occur):
//   clipscale-tar-index <schema version>
//   shard_size <bytes>
//   shard_mtime_ns <ns since the epoch>
//   truncated <0|1> <percent-encoded problem, or ->
//   members <n>
//   <offset> <size> <name>        (n lines)
//   end
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace clipscale::data {

inline constexpr int kTarIndexSchemaVersion = 1;

struct TarMember {
  std::string name;     ///< the member's path inside the tar, as stored (not sanitised)
  uint64_t offset = 0;  ///< byte offset of the member's data in the shard
  uint64_t size = 0;    ///< data bytes; offset + size <= shard size
};

struct TarIndex {
  uint64_t shard_size = 0;
  int64_t shard_mtime_ns = 0;
  std::vector<TarMember> members;  ///< regular files in archive order; links, sparse files, directories and
                                   ///< devices are left out
  bool truncated = false;          ///< the shard ends early or has a damaged header: members after it are lost
  std::string problem;             ///< what libarchive reported, when truncated
};

/// Scans `shard_path` with libarchive. A damaged or early-ending shard yields the members before
/// the damage and truncated = true; a member whose data would extend past the end of the file is
/// left out. Throws core::UserError (file, reason, HINT) when the shard cannot be opened, or when
/// it is compressed (samples are read by offset, so shards must be plain tar).
TarIndex build_tar_index(const std::string& shard_path);

/// The cached index of `shard_path` when it matches the shard's size and mtime, else a fresh
/// build_tar_index (written to the cache when `write_cache`; a directory that cannot be written
/// only costs the cache).
TarIndex load_tar_index(const std::string& shard_path, bool write_cache = true);

/// "<shard_path>.clipscale-idx".
std::string tar_index_path(const std::string& shard_path);

/// The cache file's content for `index`, and the index parsed back from it (nullopt-like: returns
/// false when `text` is not a complete index of this schema version).
std::string serialize_tar_index(const TarIndex& index);
bool parse_tar_index(const std::string& text, TarIndex* index);

}  // namespace clipscale::data
