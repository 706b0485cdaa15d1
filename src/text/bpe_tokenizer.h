// The CLIP text tokenizer: byte-level BPE exactly as OpenCLIP's SimpleTokenizer.
//
//   text --clean_text--> "a photo of a cat" --pre_tokenize--> a | photo | of | a | cat
//        --bytes_to_symbols + '</w>' on each word's last symbol--> greedy lowest-rank merges
//        --> ids;  tokenize() adds sot/eot, truncates and pads to the context length.
//
// Vocabulary layout (ids), for M merges:
//   0 .. 255         the byte symbols in bytes_to_unicode's insertion order (byte_encoder.h)
//   256 .. 511       the same with '</w>'
//   512 .. 511+M     the merges in file order (each symbol is the concatenation of its pair)
//   512+M            "<start_of_text>" (sot)   -- 49406 with OpenCLIP's file and M = 48894
//   513+M            "<end_of_text>" (eot)     -- 49407
// so vocab_size() = 512 + M + 2 (49408). Where two entries spell the same string, the later id
// is the one emitted, as with the Python dict OpenCLIP builds.
//
// Exactness: for text that ftfy leaves unchanged, ids equal OpenCLIP's SimpleTokenizer with
// clean='lower' (tests/text/make_golden.py re-implements it in Python to check this). The one
// known difference: clean_text() does not apply ftfy (see text_cleaning.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "text/merges_file.h"

namespace clipscale::text {

/// Number of merges OpenCLIP uses from its vocabulary file: 49152 - 256 - 2.
inline constexpr int64_t kOpenClipMerges = 48894;

/// OpenCLIP's default context length (DEFAULT_CONTEXT_LENGTH).
inline constexpr int64_t kDefaultContextLength = 77;

/// Byte-level BPE tokenizer. Immutable after construction; copies share the model and the word
/// cache. encode(), tokenize() and decode() are safe to call from several threads at once: the
/// word cache (OpenCLIP memoises BPE per word too) is guarded by a reader-writer lock and stops
/// growing at kMaxCachedWords entries, so memory stays bounded on endless caption streams.
class BpeTokenizer {
 public:
  /// Words whose BPE result is memoised, at most.
  static constexpr size_t kMaxCachedWords = 1 << 20;

  /// Reads a merges file in the format of OpenCLIP's bpe_simple_vocab_16e6.txt.gz (gzip or plain
  /// text; a '#version' header line, then one merge "a b" per line) and uses its first
  /// `max_merges` merges (OpenCLIP's 48894 by default; fewer if the file has fewer).
  /// Throws core::UserError naming the file (and line) with a HINT if it is missing or malformed.
  static BpeTokenizer from_file(const std::string& path, int64_t max_merges = kOpenClipMerges);

  /// A tokenizer with these merges, in rank order (first = applied first). Symbols must be
  /// non-empty and free of whitespace.
  static BpeTokenizer from_merges(std::vector<Merge> merges);

  /// BPE ids of clean_text(text), without sot/eot. "<start_of_text>" and "<end_of_text>" in the
  /// text become sot_id() and eot_id(), as in OpenCLIP.
  std::vector<int64_t> encode(std::string_view text) const;

  /// OpenCLIP's tokenizer call for one text: [sot] + encode(text) + [eot]; when longer than
  /// `context_length` it is cut to `context_length` ids and the last one is set to eot; then
  /// right-padded with 0 (which is also the id of '!'). Always `context_length` ids long.
  /// context_length >= 1.
  std::vector<int64_t> tokenize(std::string_view text, int64_t context_length = kDefaultContextLength) const;

  /// Text of `ids`: sot ids are skipped and everything from the first eot on (padding) is
  /// ignored; symbols are mapped back to bytes and decoded as UTF-8 (malformed bytes, e.g. from a
  /// cut multi-byte character, become U+FFFD); every '</w>' becomes a space, as in OpenCLIP, except
  /// that the single trailing space the last '</w>' produces is dropped. So
  /// decode(encode(s)) == clean_text(s) when the words of s are separated by single spaces and
  /// carry no punctuation ("hello, world" decodes as "hello , world"). Every id must be < vocab_size().
  std::string decode(const std::vector<int64_t>& ids) const;

  /// Id of "<start_of_text>": vocab_size() - 2.
  int64_t sot_id() const;
  /// Id of "<end_of_text>": vocab_size() - 1.
  int64_t eot_id() const;
  /// 512 + number of merges + 2.
  int64_t vocab_size() const;

  /// Vocabulary entry `id` in the byte alphabet (e.g. "Ġ", "a</w>", "th", "<start_of_text>").
  const std::string& token(int64_t id) const;

  /// The merges, in rank order.
  const std::vector<Merge>& merges() const;

  /// Writes the merges as a merges file ("#version: 0.2" header), gzip-compressed when `path`
  /// ends in ".gz"; atomic (temp file, then rename). See write_merges_file().
  void save(const std::string& path) const;

 private:
  struct Model;
  struct WordCache;

  explicit BpeTokenizer(std::shared_ptr<const Model> model);

  // Appends the ids of one pre-token (raw UTF-8 bytes).
  void encode_word(std::string_view word, std::vector<int64_t>& out) const;

  std::shared_ptr<const Model> model_;
  std::shared_ptr<WordCache> cache_;
};

}  // namespace clipscale::text
