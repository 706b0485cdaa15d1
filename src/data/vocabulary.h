// Where a run's tokenizer comes from: a merges file (OpenCLIP's bpe format), "builtin:synth", a
// vocabulary trained deterministically on the synthetic pool's captions, so the built-in data
// needs no download, or "builtin:pool", one trained on the captions of the run's own pool
// (data.source; e.g. icon shards).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "data/sample_source.h"

namespace clipscale::text {
class BpeTokenizer;
}

namespace clipscale::data {

/// `vocab` is a path, "builtin:synth" or "builtin:pool". For builtin:synth, BPE is trained on the
/// captions of the first `corpus_size` samples of the synthetic pool (seed and noise from
/// `source`) up to `vocab_size` ids; for builtin:pool on the captions of `corpus_size` samples
/// spread evenly over the pool `source` opens (unusable captions are skipped). A tokenizer with
/// more ids than `vocab_size` (the model's text vocabulary) throws core::UserError naming data.vocab.
std::shared_ptr<text::BpeTokenizer> load_vocabulary(const std::string& vocab, const SourceOptions& source,
                                                    int64_t vocab_size, int64_t corpus_size);

}  // namespace clipscale::data
