// Whole-file reads and crash-safe writes. A reader of a path written here sees either its previous
// content or the complete new content, never a partial file: the bytes go to a temporary name in
// the same directory, are fsynced, and are renamed over the target (rename is atomic on POSIX).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace clipscale::io {

/// Replaces the content of `path` with `bytes`, atomically: writes "<dir>/.<name>.tmp.<pid>.<n>",
/// fsyncs it, renames it to `path` and fsyncs the directory. Creates missing parent directories.
/// Throws core::UserError (file, reason, HINT) when the file can't be written; the temporary file
/// is removed then and `path` is left untouched.
void write_file_atomic(const std::string& path, std::string_view bytes);

/// The same for content held in several pieces (a header and tensor payloads, say): the file is
/// their concatenation, written without joining them in memory first.
void write_file_atomic(const std::string& path, const std::vector<std::string_view>& pieces);

/// The whole content of `path`, as bytes. Throws core::UserError (file, reason, HINT) when the
/// file is missing, is a directory or can't be read.
std::string read_file(const std::string& path);

/// Moves the complete directory `tmp_dir` to `final_dir`, replacing an existing `final_dir`:
/// the old one is renamed aside to "<final_dir>.old", the new one renamed in, then the old one
/// deleted. A partial directory is never visible under `final_dir`; if the process dies between
/// the two renames, `final_dir` is absent and "<final_dir>.old" still holds the previous complete
/// version (a later call removes it). Both directories must be on one filesystem (create
/// `tmp_dir` next to `final_dir`). Creates the parent of `final_dir`. Throws core::Error when
/// `tmp_dir` is not a directory, core::UserError (paths, reason, HINT) when a rename fails.
void rename_dir_atomic(const std::string& tmp_dir, const std::string& final_dir);

}  // namespace clipscale::io
