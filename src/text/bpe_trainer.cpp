#include "text/bpe_trainer.h"

#include <algorithm>
#include <queue>
#include <unordered_map>
#include <unordered_set>

#include "core/error.h"
#include "text/byte_encoder.h"
#include "text/pre_tokenizer.h"
#include "text/text_cleaning.h"
#include "text/utf8.h"

namespace clipscale::text {
namespace {

constexpr int64_t kBaseVocab = 2 * kNumByteSymbols + 2;  // bytes, bytes + '</w>', sot, eot

uint64_t pair_key(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}
int32_t pair_left(uint64_t key) { return static_cast<int32_t>(key >> 32); }
int32_t pair_right(uint64_t key) { return static_cast<int32_t>(key & 0xFFFFFFFFu); }

struct Word {
  std::vector<int32_t> symbols;
  int64_t count;
};

// The training state: distinct words, symbol strings, pair counts and where each pair occurs.
class Trainer {
 public:
  explicit Trainer(const std::vector<std::string>& corpus) {
    // Interned symbols: strings of the byte alphabet. Bytes and bytes + '</w>' first.
    for (int b = 0; b < kNumByteSymbols; ++b) intern(byte_symbol(static_cast<uint8_t>(b)));
    for (int b = 0; b < kNumByteSymbols; ++b) {
      intern(byte_symbol(static_cast<uint8_t>(b)) + std::string(kEndOfWord));
    }
    count_words(corpus);
    for (size_t w = 0; w < words_.size(); ++w) {
      const Word& word = words_[w];
      for (size_t i = 0; i + 1 < word.symbols.size(); ++i) {
        const uint64_t key = pair_key(word.symbols[i], word.symbols[i + 1]);
        pair_counts_[key] += word.count;
        where_[key].push_back(static_cast<int32_t>(w));
      }
    }
    for (const auto& [key, count] : pair_counts_) heap_.push({count, key});
  }

  // Runs up to `max_merges` merges of pairs seen at least `min_frequency` times.
  std::vector<Merge> run(int64_t max_merges, int64_t min_frequency) {
    std::vector<Merge> merges;
    while (static_cast<int64_t>(merges.size()) < max_merges && !heap_.empty()) {
      const Candidate top = heap_.top();
      heap_.pop();
      const auto it = pair_counts_.find(top.key);
      const int64_t current = it == pair_counts_.end() ? 0 : it->second;
      if (current != top.count) continue;  // stale entry; the current count has its own entry
      if (current < min_frequency) break;
      const int32_t left = pair_left(top.key);
      const int32_t right = pair_right(top.key);
      merges.emplace_back(symbols_[static_cast<size_t>(left)], symbols_[static_cast<size_t>(right)]);
      apply_merge(top.key, left, right,
                  intern(symbols_[static_cast<size_t>(left)] + symbols_[static_cast<size_t>(right)]));
    }
    return merges;
  }

 private:
  struct Candidate {
    int64_t count;
    uint64_t key;
  };
  // priority_queue puts the "largest" on top: higher count, then the smaller pair of strings.
  struct Lower {
    const std::vector<std::string>* symbols;
    bool operator()(const Candidate& a, const Candidate& b) const {
      if (a.count != b.count) return a.count < b.count;
      const std::string& a_left = (*symbols)[static_cast<size_t>(pair_left(a.key))];
      const std::string& b_left = (*symbols)[static_cast<size_t>(pair_left(b.key))];
      if (a_left != b_left) return a_left > b_left;
      return (*symbols)[static_cast<size_t>(pair_right(a.key))] > (*symbols)[static_cast<size_t>(pair_right(b.key))];
    }
  };

  int32_t intern(const std::string& symbol) {
    const auto [it, inserted] = symbol_ids_.emplace(symbol, static_cast<int32_t>(symbols_.size()));
    if (inserted) symbols_.push_back(symbol);
    return it->second;
  }

  void count_words(const std::vector<std::string>& corpus) {
    std::unordered_map<std::string, int64_t> counts;
    std::string word;
    for (const std::string& caption : corpus) {
      const std::u32string cleaned = clean_text_code_points(caption);
      for (const PreToken& t : pre_tokenize(cleaned)) {
        word.clear();
        for (size_t k = t.begin; k < t.begin + t.length; ++k) append_utf8(cleaned[k], word);
        if (word == kStartOfText || word == kEndOfText) continue;
        ++counts[word];
      }
    }
    // Sorted so that word indices, and with them every tie-free step, do not depend on hashing.
    std::vector<std::pair<std::string, int64_t>> sorted(counts.begin(), counts.end());
    std::sort(sorted.begin(), sorted.end());
    words_.reserve(sorted.size());
    for (const auto& [bytes, count] : sorted) {
      Word w{{}, count};
      w.symbols.reserve(bytes.size());
      for (size_t i = 0; i < bytes.size(); ++i) {
        const auto b = static_cast<uint8_t>(bytes[i]);
        // Ids 0..255 are interned in byte order above, 256..511 the '</w>' forms.
        w.symbols.push_back(i + 1 == bytes.size() ? kNumByteSymbols + b : b);
      }
      words_.push_back(std::move(w));
    }
  }

  void apply_merge(uint64_t key, int32_t left, int32_t right, int32_t merged) {
    std::unordered_map<uint64_t, int64_t> delta;
    std::vector<int32_t>& holders = where_[key];
    std::sort(holders.begin(), holders.end());
    holders.erase(std::unique(holders.begin(), holders.end()), holders.end());
    std::vector<int32_t> replaced;
    for (int32_t w : holders) {
      Word& word = words_[static_cast<size_t>(w)];
      std::vector<int32_t>& s = word.symbols;
      bool found = false;
      for (size_t i = 0; i + 1 < s.size(); ++i) found = found || (s[i] == left && s[i + 1] == right);
      if (!found) continue;  // `where_` is never pruned: the word lost this pair to an earlier merge
      for (size_t i = 0; i + 1 < s.size(); ++i) delta[pair_key(s[i], s[i + 1])] -= word.count;
      replaced.clear();
      for (size_t i = 0; i < s.size();) {
        if (i + 1 < s.size() && s[i] == left && s[i + 1] == right) {
          replaced.push_back(merged);
          i += 2;
        } else {
          replaced.push_back(s[i++]);
        }
      }
      s.swap(replaced);
      for (size_t i = 0; i + 1 < s.size(); ++i) {
        const uint64_t k = pair_key(s[i], s[i + 1]);
        delta[k] += word.count;
        if (pair_left(k) == merged || pair_right(k) == merged) where_[k].push_back(w);
      }
    }
    for (const auto& [k, d] : delta) {
      if (d == 0) continue;
      int64_t& count = pair_counts_[k];
      count += d;
      if (count > 0) {
        heap_.push({count, k});
      } else {
        pair_counts_.erase(k);
      }
    }
    pair_counts_.erase(key);
    where_.erase(key);
  }

  std::vector<std::string> symbols_;
  std::unordered_map<std::string, int32_t> symbol_ids_;
  std::vector<Word> words_;
  std::unordered_map<uint64_t, int64_t> pair_counts_;
  std::unordered_map<uint64_t, std::vector<int32_t>> where_;
  std::priority_queue<Candidate, std::vector<Candidate>, Lower> heap_{Lower{&symbols_}};
};

}  // namespace

BpeTokenizer train_bpe(const std::vector<std::string>& corpus, int64_t vocab_size, int64_t min_frequency) {
  if (vocab_size < kBaseVocab) {
    throw core::UserError("train_bpe: vocab_size = " + std::to_string(vocab_size) + " is below " +
                          std::to_string(kBaseVocab) +
                          ", the 256 bytes, 256 bytes + '</w>' and 2 special tokens every vocabulary holds. "
                          "HINT: ask for at least 514 (OpenCLIP uses 49408).");
  }
  if (min_frequency < 1) {
    throw core::UserError("train_bpe: min_frequency = " + std::to_string(min_frequency) +
                          " must be at least 1. HINT: use 2 to stop at pairs seen only once.");
  }
  Trainer trainer(corpus);
  return BpeTokenizer::from_merges(trainer.run(vocab_size - kBaseVocab, min_frequency));
}

}  // namespace clipscale::text
