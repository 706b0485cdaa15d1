// The BPE merges file: OpenCLIP's bpe_simple_vocab_16e6.txt.gz format.
//
//   line 1      a header containing "#version" (OpenCLIP's reads
//               "bpe_simple_vocab_16e6.txt#version: 0.2"; we write "#version: 0.2")
//   line 2...   one merge per line: two symbols separated by a space, e.g. "i n" or "th e</w>"
//
// Symbols are written in the byte alphabet of byte_encoder.h. The file may be gzip-compressed or
// plain text; OpenCLIP itself only reads gzip.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace clipscale::text {

/// One merge: the two symbols it joins, in the order they appear.
using Merge = std::pair<std::string, std::string>;

/// Header line that write_merges_file() writes.
inline constexpr const char* kMergesFileHeader = "#version: 0.2";

/// Reads the first `max_merges` merges of `path` (all of them if the file has fewer). Lines past
/// them are not read. A newline at the end of the file does not count as an empty merge.
/// Throws core::UserError naming the file (and line) with a HINT when the file cannot be opened,
/// is corrupt gzip, lacks the '#version' header, or has a merge line that is not two symbols.
std::vector<Merge> read_merges_file(const std::string& path, int64_t max_merges);

/// Writes `merges` with a "#version: 0.2" header, gzip-compressed when `path` ends in ".gz".
/// Atomic: writes `path`.tmp.<pid> and renames it over `path`, so readers never see half a file.
/// The last merge has no newline after it, so that OpenCLIP's SimpleTokenizer, which splits on
/// '\n' and would read a final empty line as an empty merge, loads exactly these merges.
/// Throws core::UserError naming the file when it cannot be written.
void write_merges_file(const std::string& path, const std::vector<Merge>& merges);

}  // namespace clipscale::text
