#include "data/vocabulary.h"

#include <algorithm>

#include "core/error.h"
#include "data/synth_shapes.h"
#include "text/bpe_tokenizer.h"
#include "text/bpe_trainer.h"

namespace clipscale::data {

std::shared_ptr<text::BpeTokenizer> load_vocabulary(const std::string& vocab, const SourceOptions& source,
                                                    int64_t vocab_size, int64_t corpus_size) {
  std::shared_ptr<text::BpeTokenizer> tokenizer;
  if (vocab == "builtin:synth") {
    SynthOptions options;
    options.image_size = source.image_size;
    options.noise_fraction = source.noise_fraction;
    options.seed = source.seed;
    const auto corpus = SynthShapes(options).caption_corpus(static_cast<uint64_t>(corpus_size));
    tokenizer = std::make_shared<text::BpeTokenizer>(text::train_bpe(corpus, vocab_size));
  } else if (vocab == "builtin:pool") {
    const auto pool = open_source(source);
    const uint64_t count = std::min<uint64_t>(static_cast<uint64_t>(corpus_size), pool->size());
    std::vector<std::string> corpus;
    corpus.reserve(count);
    for (uint64_t i = 0; i < count; ++i) {
      try {
        corpus.push_back(pool->caption(i * pool->size() / count));
      } catch (const BadSampleError&) {
        // counted and reported by the loader when training reaches the sample
      }
    }
    tokenizer = std::make_shared<text::BpeTokenizer>(text::train_bpe(corpus, vocab_size));
  } else {
    tokenizer = std::make_shared<text::BpeTokenizer>(text::BpeTokenizer::from_file(vocab));
  }
  if (tokenizer->vocab_size() > vocab_size)
    throw core::UserError("data.vocab = \"" + vocab + "\" has " + std::to_string(tokenizer->vocab_size()) +
                          " ids but the model's text_cfg.vocab_size is " + std::to_string(vocab_size) +
                          ". HINT: use a model config whose vocab_size is at least the tokenizer's.");
  return tokenizer;
}

}  // namespace clipscale::data
