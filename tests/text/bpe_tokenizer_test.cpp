#include "text/bpe_tokenizer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "text/pre_tokenizer.h"
#include "text/text_cleaning.h"

namespace clipscale::text {
namespace {

namespace fs = std::filesystem;
using Ids = std::vector<int64_t>;

const std::string kDataDir = CLIPSCALE_TEST_DATA_DIR;

std::string from_hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

// Golden data written by tests/text/make_golden.py (a Python re-implementation of OpenCLIP's
// SimpleTokenizer) for the tiny vocabulary next to it.
class TinyVocab : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::ifstream in(kDataDir + "/tiny_vocab_golden.json");
    ASSERT_TRUE(in) << "missing " << kDataDir << "/tiny_vocab_golden.json; run tests/text/make_golden.py";
    golden_ = new nlohmann::json(nlohmann::json::parse(in));
    tokenizer_ = new BpeTokenizer(BpeTokenizer::from_file(kDataDir + "/tiny_vocab.txt.gz"));
  }
  static void TearDownTestSuite() {
    delete golden_;
    delete tokenizer_;
  }

  static const nlohmann::json& cases() { return (*golden_)["cases"]; }
  static std::string input(const nlohmann::json& c) { return from_hex(c["input_utf8_hex"].get<std::string>()); }

  static nlohmann::json* golden_;
  static BpeTokenizer* tokenizer_;
};

nlohmann::json* TinyVocab::golden_ = nullptr;
BpeTokenizer* TinyVocab::tokenizer_ = nullptr;

}  // namespace

TEST_F(TinyVocab, HasOpenClipVocabularyLayout) {
  const BpeTokenizer& t = *tokenizer_;
  const auto merges = (*golden_)["num_merges"].get<int64_t>();
  EXPECT_EQ(static_cast<int64_t>(t.merges().size()), merges);
  EXPECT_EQ(t.vocab_size(), 512 + merges + 2);
  EXPECT_EQ(t.vocab_size(), (*golden_)["vocab_size"].get<int64_t>());
  EXPECT_EQ(t.sot_id(), (*golden_)["sot_id"].get<int64_t>());
  EXPECT_EQ(t.eot_id(), (*golden_)["eot_id"].get<int64_t>());
  EXPECT_EQ(t.sot_id(), t.vocab_size() - 2);
  EXPECT_EQ(t.eot_id(), t.vocab_size() - 1);
  EXPECT_EQ(t.token(0), "!");
  EXPECT_EQ(t.token(64), "a");
  EXPECT_EQ(t.token(188), "\xC4\x80");  // byte 0x00 -> U+0100
  EXPECT_EQ(t.token(220), "\xC4\xA0");  // ' ' -> U+0120 'Ġ'
  EXPECT_EQ(t.token(256), "!</w>");
  EXPECT_EQ(t.token(256 + 64), "a</w>");
  EXPECT_EQ(t.token(512), t.merges()[0].first + t.merges()[0].second);
  EXPECT_EQ(t.token(t.sot_id()), "<start_of_text>");
  EXPECT_EQ(t.token(t.eot_id()), "<end_of_text>");
}

TEST_F(TinyVocab, CleaningAndPreTokensMatchTheReference) {
  for (const auto& c : cases()) {
    const std::string text = input(c);
    EXPECT_EQ(clean_text(text), c["clean"].get<std::string>()) << c["input"];
    EXPECT_EQ(pre_tokenize_to_strings(clean_text_code_points(text)), c["pretokens"].get<std::vector<std::string>>())
        << c["input"];
  }
}

TEST_F(TinyVocab, EncodeMatchesTheReferenceIdsExactly) {
  ASSERT_GE(cases().size(), 30u);
  for (const auto& c : cases()) EXPECT_EQ(tokenizer_->encode(input(c)), c["encode"].get<Ids>()) << c["input"];
}

TEST_F(TinyVocab, TokenizeMatchesTheReferenceIdsExactly) {
  const auto context_length = (*golden_)["context_length"].get<int64_t>();
  for (const auto& c : cases()) {
    EXPECT_EQ(tokenizer_->tokenize(input(c), context_length), c["tokenize"].get<Ids>()) << c["input"];
  }
}

TEST_F(TinyVocab, EncodeIsSafeFromManyThreadsAtOnce) {
  const BpeTokenizer fresh = BpeTokenizer::from_file(kDataDir + "/tiny_vocab.txt.gz");  // empty cache
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 50; ++round) {
        for (const auto& c : cases()) mismatches[t] += fresh.encode(input(c)) != c["encode"].get<Ids>();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

TEST_F(TinyVocab, DecodeInvertsEncodeForPlainlySpacedText) {
  for (const std::string s : {"a photo of a cat", "Two Children   playing with a DOG", "the quick brown fox jumps",
                              "caf\xC3\xA9 na\xC3\xAFve", "emoji \xF0\x9F\x98\x80 party", ""}) {
    EXPECT_EQ(tokenizer_->decode(tokenizer_->encode(s)), clean_text(s)) << s;
  }
  // Every pre-token ends a word, so punctuation comes back spaced, as in OpenCLIP.
  EXPECT_EQ(tokenizer_->decode(tokenizer_->encode("Hello, world!")), "hello , world !");
}

TEST_F(TinyVocab, DecodeSkipsSotAndStopsAtEot) {
  EXPECT_EQ(tokenizer_->decode(tokenizer_->tokenize("a photo of a cat", 16)), "a photo of a cat");
  Ids ids = tokenizer_->encode("a dog");
  ids.push_back(tokenizer_->eot_id());
  ids.push_back(tokenizer_->encode("cat")[0]);  // after eot: ignored like padding
  EXPECT_EQ(tokenizer_->decode(ids), "a dog");
  EXPECT_EQ(tokenizer_->decode({0, 0}), "!!");  // 0 is '!' unless it follows eot
}

TEST_F(TinyVocab, DecodeReplacesACutMultiByteCharacter) {
  EXPECT_EQ(tokenizer_->decode({127}), "\xEF\xBF\xBD");  // id 127 is byte 0xC3 alone
  EXPECT_THROW(tokenizer_->decode({tokenizer_->vocab_size()}), core::Error);
  EXPECT_THROW(tokenizer_->decode({-1}), core::Error);
}

TEST_F(TinyVocab, TokenizeHasContextLengthSotEotAndZeroPadding) {
  const std::string text = "two children playing with a dog on the beach";
  const Ids body = tokenizer_->encode(text);
  for (int64_t context_length = 1; context_length <= 24; ++context_length) {
    const Ids ids = tokenizer_->tokenize(text, context_length);
    ASSERT_EQ(static_cast<int64_t>(ids.size()), context_length);
    const int64_t content = std::min<int64_t>(context_length, static_cast<int64_t>(body.size()) + 2);
    EXPECT_EQ(ids[static_cast<size_t>(content - 1)], tokenizer_->eot_id()) << context_length;  // last non-pad
    if (context_length >= 2) {
      EXPECT_EQ(ids[0], tokenizer_->sot_id());
    }
    for (int64_t i = 1; i < content - 1; ++i) EXPECT_EQ(ids[static_cast<size_t>(i)], body[static_cast<size_t>(i - 1)]);
    for (int64_t i = content; i < context_length; ++i) EXPECT_EQ(ids[static_cast<size_t>(i)], 0) << "padding";
  }
  EXPECT_EQ(tokenizer_->tokenize(text, 1), Ids{tokenizer_->eot_id()});
  EXPECT_EQ(tokenizer_->tokenize("", 4), (Ids{tokenizer_->sot_id(), tokenizer_->eot_id(), 0, 0}));
  EXPECT_EQ(tokenizer_->tokenize(text).size(), 77u);
  EXPECT_THROW(tokenizer_->tokenize(text, 0), core::Error);
}

TEST_F(TinyVocab, MaxMergesKeepsAPrefixOfTheFile) {
  const BpeTokenizer small = BpeTokenizer::from_file(kDataDir + "/tiny_vocab.txt.gz", 10);
  ASSERT_EQ(small.merges().size(), 10u);
  EXPECT_EQ(small.vocab_size(), 512 + 10 + 2);
  EXPECT_EQ(small.sot_id(), 522);
  EXPECT_EQ(small.eot_id(), 523);
  for (size_t i = 0; i < 10; ++i) EXPECT_EQ(small.merges()[i], tokenizer_->merges()[i]);
  // Words that need later merges fall back to smaller pieces.
  EXPECT_GT(small.encode("photograph").size(), tokenizer_->encode("photograph").size());
}

TEST_F(TinyVocab, SaveAndFromFileRoundTripGivesIdenticalIds) {
  const fs::path dir = fs::temp_directory_path() / ("clipscale_tok_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (const std::string name : {"v.txt.gz", "v.txt"}) {
    tokenizer_->save((dir / name).string());
    const BpeTokenizer loaded = BpeTokenizer::from_file((dir / name).string());
    EXPECT_EQ(loaded.merges(), tokenizer_->merges());
    for (const auto& c : cases()) EXPECT_EQ(loaded.encode(input(c)), c["encode"].get<Ids>()) << name;
  }
  fs::remove_all(dir);
}

TEST(BpeTokenizerFromFile, MissingFileThrowsUserErrorNamingItWithAHint) {
  const std::string path = kDataDir + "/does_not_exist.txt.gz";
  try {
    BpeTokenizer::from_file(path);
    FAIL() << "expected a UserError";
  } catch (const core::UserError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path), std::string::npos) << what;
    EXPECT_NE(what.find("HINT"), std::string::npos) << what;
  }
}

TEST(BpeTokenizerFromFile, MalformedLineThrowsUserErrorNamingFileAndLine) {
  const fs::path path = fs::temp_directory_path() / ("clipscale_bad_merges_" + std::to_string(::getpid()) + ".txt");
  std::ofstream(path) << "#version: 0.2\ni n\nth e extra\n";
  try {
    BpeTokenizer::from_file(path.string());
    FAIL() << "expected a UserError";
  } catch (const core::UserError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path.string() + ":3:"), std::string::npos) << what;
    EXPECT_NE(what.find("HINT"), std::string::npos) << what;
  }
  fs::remove(path);
}

TEST(BpeTokenizerFromMerges, AppliesTheLowestRankedPairFirstEverywhere) {
  // "a a a" merges left to right without overlap: (a a) a -> "aa" "a</w>".
  const BpeTokenizer t = BpeTokenizer::from_merges({{"a", "a"}, {"aa", "a</w>"}, {"b", "c</w>"}});
  EXPECT_EQ(t.vocab_size(), 512 + 3 + 2);
  EXPECT_EQ(t.encode("aa"), (Ids{64, 256 + 64}));         // no merge "a a</w>": stays two byte symbols
  EXPECT_EQ(t.encode("aaa"), (Ids{513}));                 // a a a -> aa a</w> -> aaa</w>
  EXPECT_EQ(t.encode("aaaa"), (Ids{512, 64, 256 + 64}));  // aa a a</w>: no (aa, a) merge
  EXPECT_EQ(t.encode("bc"), (Ids{514}));
  EXPECT_EQ(t.encode("a"), (Ids{256 + 64}));
  EXPECT_EQ(t.encode("<end_of_text>"), (Ids{t.eot_id()}));
}

TEST(BpeTokenizerFromMerges, RepeatedStringsKeepTheirLastIdLikeOpenClip) {
  // "ab c</w>" and "a bc</w>" both spell "abc</w>": OpenCLIP's dict maps it to the later id.
  const BpeTokenizer t = BpeTokenizer::from_merges({{"a", "b"}, {"b", "c</w>"}, {"ab", "c</w>"}, {"a", "bc</w>"}});
  EXPECT_EQ(t.encode("abc"), (Ids{515}));
  EXPECT_EQ(t.decode({514}), "abc");
  EXPECT_EQ(t.decode({515}), "abc");
}

TEST(BpeTokenizerFromMerges, RejectsEmptyOrSpacedSymbols) {
  EXPECT_THROW(BpeTokenizer::from_merges({{"", "a"}}), core::Error);
  EXPECT_THROW(BpeTokenizer::from_merges({{"a b", "c"}}), core::Error);
}

}  // namespace clipscale::text
