#include "text/bpe_trainer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/hash.h"

namespace clipscale::text {
namespace {

namespace fs = std::filesystem;
const std::string kDataDir = CLIPSCALE_TEST_DATA_DIR;

// ~100k short captions over a Zipf-like vocabulary of pseudo-words, seeded.
std::vector<std::string> synthetic_corpus(size_t captions, uint64_t seed) {
  static const std::vector<std::string> kSyllables = {"ka",  "lo",  "mi",  "ne",  "ru",  "sa",  "ti",  "vo",
                                                      "ber", "dan", "gel", "hop", "jun", "pra", "stu", "wex"};
  core::Rng rng(seed);
  std::vector<std::string> words;
  for (int w = 0; w < 20000; ++w) {
    std::string word;
    const uint64_t syllables = 1 + rng.uniform_int(4);
    for (uint64_t s = 0; s < syllables; ++s) word += kSyllables[rng.uniform_int(kSyllables.size())];
    words.push_back(word);
  }
  std::vector<std::string> corpus;
  corpus.reserve(captions);
  for (size_t i = 0; i < captions; ++i) {
    std::string caption = "a photograph of";
    const uint64_t length = 3 + rng.uniform_int(8);
    for (uint64_t k = 0; k < length; ++k) {
      // Squaring a uniform draw favours low word indices.
      const double u = rng.uniform();
      caption += " " + words[static_cast<size_t>(u * u * static_cast<double>(words.size()))];
    }
    if (rng.bernoulli(0.3)) caption += ", " + std::to_string(rng.uniform_int(2000));
    corpus.push_back(caption);
  }
  return corpus;
}

}  // namespace

TEST(TrainBpe, MatchesTheReferenceTrainerMergeForMerge) {
  std::ifstream in(kDataDir + "/tiny_vocab_golden.json");
  ASSERT_TRUE(in);
  const nlohmann::json golden = nlohmann::json::parse(in);
  const nlohmann::json& training = golden["training"];
  const BpeTokenizer trained =
      train_bpe(training["corpus"].get<std::vector<std::string>>(), training["vocab_size"].get<int64_t>(),
                training["min_frequency"].get<int64_t>());
  const BpeTokenizer reference = BpeTokenizer::from_file(kDataDir + "/tiny_vocab.txt.gz");
  // The reference stopped below min_frequency before reaching the requested size.
  ASSERT_LT(reference.vocab_size(), training["vocab_size"].get<int64_t>());
  EXPECT_EQ(trained.merges(), reference.merges());
  // Asking for fewer merges gives a prefix of the same list.
  const BpeTokenizer shorter =
      train_bpe(training["corpus"].get<std::vector<std::string>>(), 514 + 50, training["min_frequency"].get<int64_t>());
  ASSERT_EQ(shorter.merges().size(), 50u);
  EXPECT_TRUE(std::equal(shorter.merges().begin(), shorter.merges().end(), reference.merges().begin()));
}

// Runs like "aaaa" and "abab" over a 3-letter alphabet: overlapping pairs and many ties.
TEST(TrainBpe, MatchesTheReferenceOnRepetitiveWordsAndEncodesLikeOpenClip) {
  std::ifstream in(kDataDir + "/tiny_vocab_golden.json");
  ASSERT_TRUE(in);
  const nlohmann::json golden = nlohmann::json::parse(in);
  const nlohmann::json& training = golden["training_repetitive"];
  const auto corpus = training["corpus"].get<std::vector<std::string>>();
  const BpeTokenizer trained =
      train_bpe(corpus, training["vocab_size"].get<int64_t>(), training["min_frequency"].get<int64_t>());
  const auto expected = training["merges"].get<std::vector<Merge>>();
  ASSERT_EQ(trained.merges().size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(trained.merges()[i], expected[i]) << "merge " << i;
  const auto ids = training["encode"].get<std::vector<std::vector<int64_t>>>();
  ASSERT_EQ(ids.size(), corpus.size());
  for (size_t i = 0; i < corpus.size(); ++i) EXPECT_EQ(trained.encode(corpus[i]), ids[i]) << corpus[i];
}

TEST(TrainBpe, IsDeterministicAndReachesTheRequestedVocabQuickly) {
  const std::vector<std::string> corpus = synthetic_corpus(100000, 17);
  const auto start = std::chrono::steady_clock::now();
  const BpeTokenizer a = train_bpe(corpus, 8192);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(a.vocab_size(), 8192);
  EXPECT_LT(seconds, 5.0) << "100k captions to 8192 tokens should take well under a few seconds";
  const BpeTokenizer b = train_bpe(corpus, 8192);
  EXPECT_EQ(a.merges(), b.merges());
  std::cout << "[ info     ] train_bpe: 100k captions -> 8192 tokens in " << seconds << " s\n";
}

TEST(TrainBpe, FrequentWordsBecomeSingleTokens) {
  const std::vector<std::string> corpus = synthetic_corpus(20000, 3);
  const BpeTokenizer t = train_bpe(corpus, 2048);
  EXPECT_EQ(t.encode("photograph").size(), 1u);
  EXPECT_EQ(t.encode("a photograph of").size(), 3u);
  EXPECT_EQ(t.token(t.encode("photograph")[0]), "photograph</w>");
  // A word never seen in training still encodes, byte by byte at worst, and decodes back.
  EXPECT_EQ(t.decode(t.encode("zyzzyva")), "zyzzyva");
}

TEST(TrainBpe, SaveAndFromFileRoundTripGivesIdenticalIds) {
  const std::vector<std::string> corpus = synthetic_corpus(5000, 5);
  const BpeTokenizer trained = train_bpe(corpus, 1200);
  const fs::path path = fs::temp_directory_path() / ("clipscale_trained_" + std::to_string(::getpid()) + ".txt.gz");
  trained.save(path.string());
  const BpeTokenizer loaded = BpeTokenizer::from_file(path.string());
  fs::remove(path);
  EXPECT_EQ(loaded.merges(), trained.merges());
  EXPECT_EQ(loaded.vocab_size(), 1200);
  for (size_t i = 0; i < 200; ++i) EXPECT_EQ(loaded.tokenize(corpus[i]), trained.tokenize(corpus[i])) << corpus[i];
}

TEST(TrainBpe, StopsWhenNoPairIsFrequentEnough) {
  const BpeTokenizer t = train_bpe({"abc abc", "xyz"}, 10000, 2);
  // Only "abc" occurs twice: merges (a b), (ab c</w>); then every pair occurs once.
  ASSERT_EQ(t.merges().size(), 2u);
  EXPECT_EQ(t.encode("abc"), (std::vector<int64_t>{513}));
  EXPECT_EQ(train_bpe({"abc abc", "xyz"}, 10000, 1).merges().size(), 4u);  // + (x y), (xy z</w>)
  EXPECT_EQ(train_bpe({}, 600).vocab_size(), 514);
}

TEST(TrainBpe, RejectsImpossibleSettingsWithAHint) {
  try {
    train_bpe({"a"}, 513);
    FAIL() << "expected a UserError";
  } catch (const core::UserError& e) {
    EXPECT_NE(std::string(e.what()).find("vocab_size = 513"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("HINT"), std::string::npos) << e.what();
  }
  EXPECT_THROW(train_bpe({"a"}, 600, 0), core::UserError);
}

}  // namespace clipscale::text
