#include "io/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "core/error.h"

namespace clipscale::io {
namespace fs = std::filesystem;
namespace {

std::string errno_text(int err) { return std::generic_category().message(err); }

// "a/b/" and "a/b" name the same directory; std::filesystem would give "a/b/" an empty filename.
fs::path strip_trailing_separator(const std::string& path) {
  fs::path p(path);
  if (!p.has_filename() && p.has_parent_path()) p = p.parent_path();
  return p;
}

fs::path parent_dir(const fs::path& p) {
  fs::path parent = p.parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

void create_parent_dirs(const fs::path& target) {
  const fs::path dir = parent_dir(target);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    throw core::UserError(
        fmt::format("cannot create directory '{}' for '{}': {}. HINT: check that the path is writable and that "
                    "no component of it is an existing file.",
                    dir.string(), target.string(), ec.message()));
  }
}

// Makes a completed rename inside `dir` survive a crash. Best effort: some filesystems refuse
// fsync on directories, and the rename itself has already happened.
void sync_dir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

// Unique across processes (pid) and threads (counter); hidden so globbing readers skip it.
fs::path temp_path_for(const fs::path& target) {
  static std::atomic<uint64_t> counter{0};
  return parent_dir(target) /
         fmt::format(".{}.tmp.{}.{}", target.filename().string(), static_cast<long>(::getpid()), counter.fetch_add(1));
}

[[noreturn]] void throw_write_error(const fs::path& target, const char* step, int err) {
  throw core::UserError(
      fmt::format("cannot write '{}': {} failed: {}. HINT: check free disk space and write permission in '{}'.",
                  target.string(), step, errno_text(err), parent_dir(target).string()));
}

bool write_all(int fd, std::string_view bytes) {
  const char* data = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    left -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

void write_file_atomic(const std::string& path, std::string_view bytes) {
  write_file_atomic(path, std::vector<std::string_view>{bytes});
}

void write_file_atomic(const std::string& path, const std::vector<std::string_view>& pieces) {
  const fs::path target(path);
  CLIPSCALE_CHECK(target.has_filename()) << "write_file_atomic needs a file path, got '" << path << "'";
  create_parent_dirs(target);
  const fs::path tmp = temp_path_for(target);

  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw_write_error(target, "creating a temporary file", errno);
  const char* failed_step = nullptr;
  for (std::string_view piece : pieces) {
    if (!write_all(fd, piece)) {
      failed_step = "write";
      break;
    }
  }
  if (failed_step == nullptr && ::fsync(fd) != 0) failed_step = "fsync";
  int err = errno;
  if (::close(fd) != 0 && failed_step == nullptr) {
    failed_step = "close";
    err = errno;
  }
  if (failed_step == nullptr && ::rename(tmp.c_str(), target.c_str()) != 0) {
    failed_step = "rename";
    err = errno;
  }
  if (failed_step != nullptr) {
    ::unlink(tmp.c_str());
    throw_write_error(target, failed_step, err);
  }
  sync_dir(parent_dir(target));
}

std::string read_file(const std::string& path) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (!fs::exists(st)) {
    std::error_code cwd_ec;
    throw core::UserError(
        fmt::format("cannot read '{}': no such file. HINT: check the path; relative paths are resolved "
                    "against the working directory '{}'.",
                    path, fs::current_path(cwd_ec).string()));
  }
  if (fs::is_directory(st)) {
    throw core::UserError(
        fmt::format("cannot read '{}': expected a file, found a directory. HINT: name a file inside it.", path));
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    throw core::UserError(
        fmt::format("cannot read '{}': {}. HINT: check the file's read permission.", path, errno_text(err)));
  }
  std::string bytes;
  struct stat info {};
  if (::fstat(fd, &info) == 0 && info.st_size > 0) bytes.reserve(static_cast<size_t>(info.st_size));
  char buffer[1 << 16];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      throw core::UserError(fmt::format(
          "cannot read '{}': {}. HINT: the file system reported an I/O error; check the disk.", path, errno_text(err)));
    }
    bytes.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return bytes;
}

void rename_dir_atomic(const std::string& tmp_dir, const std::string& final_dir) {
  const fs::path tmp = strip_trailing_separator(tmp_dir);
  const fs::path target = strip_trailing_separator(final_dir);
  std::error_code ec;
  CLIPSCALE_CHECK(fs::is_directory(tmp, ec)) << "rename_dir_atomic: '" << tmp_dir << "' is not a directory";
  CLIPSCALE_CHECK(target.has_filename()) << "rename_dir_atomic: bad target '" << final_dir << "'";
  create_parent_dirs(target);

  const fs::path old = fs::path(target.string() + ".old");
  // A leftover from a run that died between the two renames below.
  if (fs::exists(fs::symlink_status(old, ec))) {
    fs::remove_all(old, ec);
    if (ec) {
      throw core::UserError(
          fmt::format("cannot replace '{}': removing the stale '{}' failed: {}. HINT: remove it by hand.",
                      target.string(), old.string(), ec.message()));
    }
  }
  bool moved_old_aside = false;
  if (fs::exists(fs::symlink_status(target, ec))) {
    if (::rename(target.c_str(), old.c_str()) != 0) {
      const int err = errno;
      throw core::UserError(
          fmt::format("cannot replace '{}': renaming it to '{}' failed: {}. HINT: check write permission in '{}'.",
                      target.string(), old.string(), errno_text(err), parent_dir(target).string()));
    }
    moved_old_aside = true;
  }
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    const int err = errno;
    if (moved_old_aside) ::rename(old.c_str(), target.c_str());  // put the previous version back
    throw core::UserError(
        fmt::format("cannot rename '{}' to '{}': {}. HINT: both must be on the same file system; create the "
                    "temporary directory next to the final one.",
                    tmp.string(), target.string(), errno_text(err)));
  }
  sync_dir(parent_dir(target));
  // A failure here only leaves "<final_dir>.old" behind, which the next call removes.
  if (moved_old_aside) fs::remove_all(old, ec);
}

}  // namespace clipscale::io
