// Learning BPE merges from captions, in the same symbols and word split the tokenizer uses.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "text/bpe_tokenizer.h"

namespace clipscale::text {

/// Trains byte-level BPE merges on `corpus` (one caption per entry) and returns the tokenizer.
///
/// Words are what BpeTokenizer::encode sees: clean_text(), then pre_tokenize(), then each word's
/// bytes as byte symbols with '</w>' on the last one; "<start_of_text>" / "<end_of_text>" are
/// left out. Starting from the 512 byte symbols, each step merges the adjacent symbol pair that
/// occurs most often (counting every occurrence in every word, weighted by the word's count) into
/// a new symbol, everywhere it occurs (left to right, without overlap, as encoding does). Ties go
/// to the lexicographically smallest pair (first symbol, then second, compared as byte-alphabet
/// UTF-8), so training is deterministic. Stops when vocab_size = 512 + merges + 2 is reached or no
/// pair occurs at least `min_frequency` times (then the vocabulary is smaller than asked).
///
/// Cost is about linear in the corpus plus, per merge, the words holding the merged pair:
/// ~100k short captions train to a few thousand merges in well under a second.
/// Throws core::UserError if vocab_size < 514 or min_frequency < 1.
BpeTokenizer train_bpe(const std::vector<std::string>& corpus, int64_t vocab_size, int64_t min_frequency = 2);

}  // namespace clipscale::text
