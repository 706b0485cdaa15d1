// Writing WebDataset tar shards (libarchive, POSIX pax format): what `clipscale data` and the
// tests use. Output is reproducible: members get a fixed mtime, owner 0 and mode 0644, so the same
// samples give byte-identical shards. Every tar is written under a temporary name and renamed
// when complete, so a reader never sees a partial shard.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct archive;

namespace clipscale::convert {

/// One tar file with members named freely (the tests craft hostile names with it).
class TarWriter {
 public:
  /// Starts "<dir>/.<name>.tmp.<pid>" beside `path` (parent directories are created). Throws
  /// core::UserError when it cannot be created.
  explicit TarWriter(std::string path);
  /// Removes the temporary file when close() was not called.
  ~TarWriter();
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  /// Appends a regular file `name` holding `bytes`.
  void add(const std::string& name, std::string_view bytes);
  /// Finishes the archive and renames it to `path`.
  void close();

 private:
  std::string path_;
  std::string tmp_path_;
  std::unique_ptr<archive, int (*)(archive*)> archive_;
  bool closed_ = false;
};

/// A sample: its key and its members as (extension, bytes), e.g. {"png", ...}, {"txt", "a cat"}.
struct ShardSample {
  std::string key;
  std::vector<std::pair<std::string, std::string>> members;
};

/// Writes samples into numbered shards "<dir>/<prefix>00000.tar", "<prefix>00001.tar", ... of
/// `samples_per_shard` samples each (members named "<key>.<ext>").
class ShardWriter {
 public:
  ShardWriter(std::string dir, int64_t samples_per_shard, std::string prefix = "");
  void write(const ShardSample& sample);
  /// Completes the last shard and returns the shard pattern of everything written, e.g.
  /// "<dir>/{00000..00038}.tar" ("<dir>/00000.tar" for a single shard). At least one sample must
  /// have been written.
  std::string finish();

  int64_t samples() const { return samples_; }
  int64_t shards() const { return shards_; }

 private:
  std::string shard_path(int64_t number) const;

  std::string dir_;
  int64_t samples_per_shard_;
  std::string prefix_;
  std::unique_ptr<TarWriter> current_;
  int64_t samples_ = 0;
  int64_t shards_ = 0;
};

}  // namespace clipscale::convert
