#include "text/bpe_tokenizer.h"

#include <array>
#include <limits>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include "core/error.h"
#include "text/byte_encoder.h"
#include "text/pre_tokenizer.h"
#include "text/text_cleaning.h"
#include "text/utf8.h"

namespace clipscale::text {

// Everything derived from the merges; never changes after construction. Ids are int32 inside
// (the vocabulary is far below 2^31) to keep the pair table and the cache small.
struct BpeTokenizer::Model {
  struct PairInfo {
    int32_t rank;
    int32_t merged_id;
  };

  std::vector<Merge> merges;
  std::vector<std::string> vocab;                // byte alphabet, as OpenCLIP's encoder keys
  std::vector<std::string> vocab_bytes;          // the raw bytes each entry stands for, for decode
  std::array<int32_t, 256> byte_id{};            // id of the symbol for byte b
  std::array<int32_t, 256> byte_end_id{};        // id of the symbol for byte b + '</w>'
  std::unordered_map<uint64_t, PairInfo> pairs;  // (left id, right id) -> rank and result
  int32_t sot_id = 0;
  int32_t eot_id = 0;

  static uint64_t pair_key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }
};

struct BpeTokenizer::WordCache {
  std::shared_mutex mutex;
  std::unordered_map<std::string, std::vector<int32_t>> words;
};

namespace {

bool has_whitespace(const std::string& s) {
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') return true;
  }
  return false;
}

}  // namespace

BpeTokenizer::BpeTokenizer(std::shared_ptr<const Model> model)
    : model_(std::move(model)), cache_(std::make_shared<WordCache>()) {}

BpeTokenizer BpeTokenizer::from_file(const std::string& path, int64_t max_merges) {
  return from_merges(read_merges_file(path, max_merges));
}

BpeTokenizer BpeTokenizer::from_merges(std::vector<Merge> merges) {
  constexpr int64_t kMaxMerges = std::numeric_limits<int32_t>::max() - 2 * kNumByteSymbols - 2;
  CLIPSCALE_CHECK_LE(static_cast<int64_t>(merges.size()), kMaxMerges) << "too many merges";
  auto model = std::make_shared<Model>();
  Model& m = *model;

  m.vocab.reserve(2 * kNumByteSymbols + merges.size() + 2);
  for (int p = 0; p < kNumByteSymbols; ++p) m.vocab.push_back(byte_symbol(byte_at_vocab_position(p)));
  for (int p = 0; p < kNumByteSymbols; ++p) {
    m.vocab.push_back(byte_symbol(byte_at_vocab_position(p)) + std::string(kEndOfWord));
  }
  for (const Merge& merge : merges) {
    CLIPSCALE_CHECK(!merge.first.empty() && !merge.second.empty()) << "empty merge symbol";
    CLIPSCALE_CHECK(!has_whitespace(merge.first) && !has_whitespace(merge.second))
        << "merge symbols must not contain whitespace: '" << merge.first << "' '" << merge.second << "'";
    m.vocab.push_back(merge.first + merge.second);
  }
  m.vocab.emplace_back(kStartOfText);
  m.vocab.emplace_back(kEndOfText);

  // OpenCLIP's dict(zip(vocab, range(len(vocab)))): a repeated string keeps its last id.
  std::unordered_map<std::string, int32_t> encoder;
  encoder.reserve(m.vocab.size());
  for (size_t id = 0; id < m.vocab.size(); ++id) encoder[m.vocab[id]] = static_cast<int32_t>(id);

  for (int b = 0; b < kNumByteSymbols; ++b) {
    const std::string& symbol = byte_symbol(static_cast<uint8_t>(b));
    m.byte_id[b] = encoder.at(symbol);
    m.byte_end_id[b] = encoder.at(symbol + std::string(kEndOfWord));
  }
  // dict(zip(merges, range(len(merges)))): a repeated pair keeps its last rank. A pair with a
  // symbol outside the vocabulary can never be adjacent in a word, so it is left out.
  m.pairs.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto left = encoder.find(merges[rank].first);
    const auto right = encoder.find(merges[rank].second);
    if (left == encoder.end() || right == encoder.end()) continue;
    m.pairs[Model::pair_key(left->second, right->second)] = {static_cast<int32_t>(rank),
                                                             encoder.at(merges[rank].first + merges[rank].second)};
  }
  m.sot_id = encoder.at(std::string(kStartOfText));
  m.eot_id = encoder.at(std::string(kEndOfText));

  m.vocab_bytes.reserve(m.vocab.size());
  for (const std::string& entry : m.vocab) m.vocab_bytes.push_back(symbols_to_bytes(entry));
  m.merges = std::move(merges);
  return BpeTokenizer(std::move(model));
}

void BpeTokenizer::encode_word(std::string_view word, std::vector<int64_t>& out) const {
  const Model& m = *model_;
  // OpenCLIP seeds its cache with the special tokens, so they map straight to their ids.
  if (word == kStartOfText) {
    out.push_back(m.sot_id);
    return;
  }
  if (word == kEndOfText) {
    out.push_back(m.eot_id);
    return;
  }
  std::string key(word);
  {
    std::shared_lock lock(cache_->mutex);
    const auto it = cache_->words.find(key);
    if (it != cache_->words.end()) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      return;
    }
  }

  std::vector<int32_t> symbols;
  symbols.reserve(word.size());
  for (size_t i = 0; i < word.size(); ++i) {
    const auto b = static_cast<uint8_t>(word[i]);
    symbols.push_back(i + 1 == word.size() ? m.byte_end_id[b] : m.byte_id[b]);
  }
  // OpenCLIP's bpe(): merge every occurrence of the lowest-ranked adjacent pair, left to right
  // without overlap, then look again, until no adjacent pair is a merge or one symbol is left.
  std::vector<int32_t> merged;
  merged.reserve(symbols.size());
  while (symbols.size() > 1) {
    int32_t best_rank = std::numeric_limits<int32_t>::max();
    int32_t best_left = -1;
    int32_t best_right = -1;
    int32_t best_result = -1;
    for (size_t i = 0; i + 1 < symbols.size(); ++i) {
      const auto it = m.pairs.find(Model::pair_key(symbols[i], symbols[i + 1]));
      if (it != m.pairs.end() && it->second.rank < best_rank) {
        best_rank = it->second.rank;
        best_left = symbols[i];
        best_right = symbols[i + 1];
        best_result = it->second.merged_id;
      }
    }
    if (best_result < 0) break;
    merged.clear();
    for (size_t i = 0; i < symbols.size();) {
      if (i + 1 < symbols.size() && symbols[i] == best_left && symbols[i + 1] == best_right) {
        merged.push_back(best_result);
        i += 2;
      } else {
        merged.push_back(symbols[i]);
        i += 1;
      }
    }
    symbols.swap(merged);
  }

  out.insert(out.end(), symbols.begin(), symbols.end());
  std::unique_lock lock(cache_->mutex);
  if (cache_->words.size() < kMaxCachedWords) cache_->words.emplace(std::move(key), std::move(symbols));
}

std::vector<int64_t> BpeTokenizer::encode(std::string_view text) const {
  const std::u32string cleaned = clean_text_code_points(text);
  std::vector<int64_t> ids;
  ids.reserve(cleaned.size() / 3 + 1);
  std::string word;
  for (const PreToken& t : pre_tokenize(cleaned)) {
    word.clear();
    for (size_t k = t.begin; k < t.begin + t.length; ++k) append_utf8(cleaned[k], word);
    encode_word(word, ids);
  }
  return ids;
}

std::vector<int64_t> BpeTokenizer::tokenize(std::string_view text, int64_t context_length) const {
  CLIPSCALE_CHECK_GE(context_length, 1) << "context_length must be positive";
  const std::vector<int64_t> body = encode(text);
  std::vector<int64_t> ids;
  ids.reserve(std::max<size_t>(body.size() + 2, static_cast<size_t>(context_length)));
  ids.push_back(model_->sot_id);
  ids.insert(ids.end(), body.begin(), body.end());
  ids.push_back(model_->eot_id);
  const auto length = static_cast<size_t>(context_length);
  if (ids.size() > length) {
    ids.resize(length);
    ids.back() = model_->eot_id;
  }
  ids.resize(length, 0);
  return ids;
}

std::string BpeTokenizer::decode(const std::vector<int64_t>& ids) const {
  const Model& m = *model_;
  std::string bytes;
  for (int64_t id : ids) {
    CLIPSCALE_CHECK(id >= 0 && id < vocab_size()) << "token id " << id << " outside the vocabulary of " << vocab_size();
    if (id == m.eot_id) break;
    if (id == m.sot_id) continue;
    bytes += m.vocab_bytes[static_cast<size_t>(id)];
  }
  const std::string text = encode_utf8(decode_utf8(bytes));
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text.compare(i, kEndOfWord.size(), kEndOfWord) == 0) {
      out.push_back(' ');
      i += kEndOfWord.size();
    } else {
      out.push_back(text[i++]);
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

int64_t BpeTokenizer::sot_id() const { return model_->sot_id; }

int64_t BpeTokenizer::eot_id() const { return model_->eot_id; }

int64_t BpeTokenizer::vocab_size() const { return static_cast<int64_t>(model_->vocab.size()); }

const std::string& BpeTokenizer::token(int64_t id) const {
  CLIPSCALE_CHECK(id >= 0 && id < vocab_size()) << "token id " << id << " outside the vocabulary of " << vocab_size();
  return model_->vocab[static_cast<size_t>(id)];
}

const std::vector<Merge>& BpeTokenizer::merges() const { return model_->merges; }

void BpeTokenizer::save(const std::string& path) const { write_merges_file(path, model_->merges); }

}  // namespace clipscale::text
