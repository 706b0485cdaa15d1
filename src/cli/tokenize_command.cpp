// clipscale tokenize --vocab FILE "text"...        token ids of each text
// clipscale tokenize --train CORPUS --vocab-size N --out FILE   train a BPE vocabulary
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <memory>

#include "cli/commands.h"
#include "core/error.h"
#include "data/sample_source.h"
#include "data/vocabulary.h"
#include "text/bpe_tokenizer.h"
#include "text/bpe_trainer.h"

namespace clipscale::cli {
namespace {

struct TokenizeCommandOptions {
  std::string vocab = "builtin:synth";
  int64_t vocab_size = 1024;
  int64_t context_length = 0;
  bool pieces = false;
  std::vector<std::string> texts;
  std::string train_corpus;
  std::string out;
};

void run_tokenize(const TokenizeCommandOptions& o) {
  if (!o.train_corpus.empty()) {
    if (o.out.empty()) throw core::UserError("--train needs --out FILE. HINT: e.g. --out vocab.txt.gz");
    std::shared_ptr<text::BpeTokenizer> tokenizer;
    if (o.train_corpus == "builtin:synth") {
      tokenizer = data::load_vocabulary("builtin:synth", data::SourceOptions{}, o.vocab_size, 20000);
    } else {
      std::ifstream in(o.train_corpus);
      if (!in) throw core::UserError("corpus " + o.train_corpus + " cannot be read. HINT: one caption per line.");
      std::vector<std::string> corpus;
      for (std::string line; std::getline(in, line);) corpus.push_back(line);
      tokenizer = std::make_shared<text::BpeTokenizer>(text::train_bpe(corpus, o.vocab_size));
    }
    tokenizer->save(o.out);
    std::printf("wrote %s: %lld merges, vocab_size %lld\n", o.out.c_str(),
                static_cast<long long>(tokenizer->merges().size()), static_cast<long long>(tokenizer->vocab_size()));
    return;
  }
  if (o.texts.empty())
    throw core::UserError("nothing to tokenize. HINT: clipscale tokenize --vocab FILE \"a photo of a cat\"");
  const auto tokenizer = data::load_vocabulary(o.vocab, data::SourceOptions{},
                                               o.vocab == "builtin:synth" ? o.vocab_size : INT64_MAX, 20000);
  for (const auto& text : o.texts) {
    std::vector<int64_t> ids;
    if (o.context_length > 0) {
      ids = tokenizer->tokenize(text, o.context_length);
    } else {
      ids = tokenizer->encode(text);
      ids.insert(ids.begin(), tokenizer->sot_id());
      ids.push_back(tokenizer->eot_id());
    }
    std::string line;
    for (size_t i = 0; i < ids.size(); ++i) line += (i ? " " : "") + std::to_string(ids[i]);
    if (o.pieces) {
      line += "\t";
      for (int64_t id : tokenizer->encode(text)) line += "[" + tokenizer->decode({id}) + "]";
    }
    std::printf("%s\n", line.c_str());
  }
}

}  // namespace

void setup_tokenize(CLI::App& app) {
  auto options = std::make_shared<TokenizeCommandOptions>();
  CLI::App* sub = app.add_subcommand("tokenize", "print CLIP BPE token ids, or train a vocabulary");
  sub->add_option("texts", options->texts, "texts to tokenize");
  sub->add_option("--vocab", options->vocab, "merges file (OpenCLIP bpe format, .txt or .txt.gz) or builtin:synth");
  sub->add_option("--context-length", options->context_length,
                  "pad/truncate to this length as the model sees it (0: [sot] ids [eot], no padding)");
  sub->add_flag("--pieces", options->pieces, "also print each BPE piece");
  sub->add_option("--train", options->train_corpus,
                  "train a vocabulary on this corpus (one caption per line, or builtin:synth)");
  sub->add_option("--vocab-size", options->vocab_size, "vocabulary size to train (ids = 512 + merges + 2)");
  sub->add_option("--out", options->out, "where --train writes the merges (.txt.gz or .txt)");
  sub->callback([options] { run_tokenize(*options); });
}

}  // namespace clipscale::cli
