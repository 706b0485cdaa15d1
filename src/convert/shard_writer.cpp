#include "convert/shard_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>

#include "core/error.h"

namespace clipscale::convert {
namespace {

/// 2000-01-01T00:00:00Z: a fixed member time, so shards are reproducible byte for byte.
constexpr time_t kMemberTime = 946684800;

}  // namespace

TarWriter::TarWriter(std::string path) : path_(std::move(path)), archive_(archive_write_new(), archive_write_free) {
  static std::atomic<uint64_t> counter{0};
  const std::filesystem::path target(path_);
  std::error_code ec;
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path(), ec);
  tmp_path_ = (target.parent_path() / ("." + target.filename().string() + ".tmp." + std::to_string(::getpid()) + "." +
                                       std::to_string(counter++)))
                  .string();
  CLIPSCALE_CHECK(archive_ != nullptr) << "archive_write_new failed";
  archive_write_set_format_pax_restricted(archive_.get());
  if (archive_write_open_filename(archive_.get(), tmp_path_.c_str()) != ARCHIVE_OK)
    throw core::UserError("cannot create " + tmp_path_ + ": " + archive_error_string(archive_.get()) +
                          ". HINT: check that the output directory is writable.");
}

TarWriter::~TarWriter() {
  if (!closed_) {
    archive_.reset();
    std::error_code ec;
    std::filesystem::remove(tmp_path_, ec);
  }
}

void TarWriter::add(const std::string& name, std::string_view bytes) {
  CLIPSCALE_CHECK(!closed_);
  std::unique_ptr<archive_entry, void (*)(archive_entry*)> entry(archive_entry_new(), archive_entry_free);
  archive_entry_set_pathname(entry.get(), name.c_str());
  archive_entry_set_size(entry.get(), static_cast<la_int64_t>(bytes.size()));
  archive_entry_set_filetype(entry.get(), AE_IFREG);
  archive_entry_set_perm(entry.get(), 0644);
  archive_entry_set_mtime(entry.get(), kMemberTime, 0);
  archive_entry_set_uid(entry.get(), 0);
  archive_entry_set_gid(entry.get(), 0);
  if (archive_write_header(archive_.get(), entry.get()) != ARCHIVE_OK ||
      (!bytes.empty() &&
       archive_write_data(archive_.get(), bytes.data(), bytes.size()) != static_cast<la_ssize_t>(bytes.size())))
    throw core::UserError("cannot write member " + name + " to " + tmp_path_ + ": " +
                          archive_error_string(archive_.get()) + ". HINT: check free disk space.");
}

void TarWriter::close() {
  CLIPSCALE_CHECK(!closed_);
  if (archive_write_close(archive_.get()) != ARCHIVE_OK)
    throw core::UserError("cannot finish " + tmp_path_ + ": " + archive_error_string(archive_.get()) +
                          ". HINT: check free disk space.");
  std::error_code ec;
  std::filesystem::rename(tmp_path_, path_, ec);
  if (ec)
    throw core::UserError("cannot rename " + tmp_path_ + " to " + path_ + ": " + ec.message() +
                          ".  HINT: check permissions.");
  closed_ = true;
}

ShardWriter::ShardWriter(std::string dir, int64_t samples_per_shard, std::string prefix)
    : dir_(std::move(dir)), samples_per_shard_(samples_per_shard), prefix_(std::move(prefix)) {
  if (samples_per_shard_ <= 0)
    throw core::UserError("--shard-size " + std::to_string(samples_per_shard_) +
                          " violates shard_size > 0. HINT: 10000 samples per shard is typical.");
}

std::string ShardWriter::shard_path(int64_t number) const {
  return (std::filesystem::path(dir_) / fmt::format("{}{:05d}.tar", prefix_, number)).string();
}

void ShardWriter::write(const ShardSample& sample) {
  if (current_ == nullptr) current_ = std::make_unique<TarWriter>(shard_path(shards_++));
  for (const auto& [ext, bytes] : sample.members) current_->add(sample.key + "." + ext, bytes);
  if (++samples_ % samples_per_shard_ == 0) {
    current_->close();
    current_.reset();
  }
}

std::string ShardWriter::finish() {
  CLIPSCALE_CHECK_GT(samples_, 0) << "no sample was written";
  if (current_ != nullptr) {
    current_->close();
    current_.reset();
  }
  if (shards_ == 1) return shard_path(0);
  return (std::filesystem::path(dir_) / fmt::format("{}{{00000..{:05d}}}.tar", prefix_, shards_ - 1)).string();
}

}  // namespace clipscale::convert
