#!/usr/bin/python3
"""Golden data for the text module's tests: a tiny BPE vocabulary and OpenCLIP-exact token ids.

Writes, next to this script:
  data/tiny_vocab.txt.gz       merges learned from TRAINING_CORPUS below by `train_bpe_reference`
                               (greedy BPE: most frequent adjacent pair, ties to the smallest
                               (first, second) pair, stop at NUM_MERGES or below MIN_FREQUENCY),
                               written as "#version: 0.2" then one "a b" per line, no newline after
                               the last merge, gzip with mtime 0 so the bytes are reproducible.
  data/tiny_vocab_golden.json  for each string in CASES: the cleaned text, the pre-tokens, the
                               `encode` ids and the `tokenize` ids at context length 16, computed by
                               `SimpleTokenizer` below; plus the training corpus and settings so
                               the C++ trainer can be checked against the reference trainer,
                               and a second, seeded corpus of repetitive words with the merges the
                               reference trainer learns from it and the ids SimpleTokenizer gives
                               each of its captions with those merges.

`SimpleTokenizer` is an independent Python re-implementation of OpenCLIP's
src/open_clip/tokenizer.py SimpleTokenizer with clean='lower' (bytes_to_unicode, get_pairs,
bpe with its cache, the `regex` pattern with IGNORECASE, html.unescape twice, strip, whitespace
collapse, lower), loading the merges exactly as OpenCLIP does (gzip, split on '\\n', lines
1 .. 48894). The one deliberate omission is ftfy.fix_text, which clipscale does not apply either;
the cases avoid text ftfy would change, except where noted.

Re-run from the repository root (needs the `regex` module; Debian's /usr/bin/python3 has it):

    /usr/bin/python3 tests/text/make_golden.py

Output is deterministic: re-running must leave both files byte-identical.
"""
import gzip
import html
import io
import json
import os
import random
from collections import Counter
from functools import lru_cache

import regex as re

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
VOCAB_PATH = os.path.join(DATA, "tiny_vocab.txt.gz")
GOLDEN_PATH = os.path.join(DATA, "tiny_vocab_golden.json")

NUM_MERGES = 400
MIN_FREQUENCY = 2
CONTEXT_LENGTH = 16
SPECIAL_TOKENS = ["<start_of_text>", "<end_of_text>"]


# ---------------------------------------------------------------- OpenCLIP's SimpleTokenizer


@lru_cache()
def bytes_to_unicode():
    bs = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
          + list(range(ord("®"), ord("ÿ") + 1)))
    cs = bs[:]
    n = 0
    for b in range(2 ** 8):
        if b not in bs:
            bs.append(b)
            cs.append(2 ** 8 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def get_pairs(word):
    pairs = set()
    prev = word[0]
    for ch in word[1:]:
        pairs.add((prev, ch))
        prev = ch
    return pairs


def basic_clean(text):
    # OpenCLIP: text = ftfy.fix_text(text) first; left out here as in clipscale.
    text = html.unescape(html.unescape(text))
    return text.strip()


def whitespace_clean(text):
    text = re.sub(r"\s+", " ", text)
    return text.strip()


def clean_lower(text):
    return whitespace_clean(basic_clean(text)).lower()


PATTERN = re.compile("|".join(SPECIAL_TOKENS)
                     + r"""|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
                     re.IGNORECASE)


class SimpleTokenizer:
    def __init__(self, bpe_path):
        self.byte_encoder = bytes_to_unicode()
        merges = gzip.open(bpe_path).read().decode("utf-8").split("\n")
        merges = merges[1:49152 - 256 - 2 + 1]
        merges = [tuple(merge.split()) for merge in merges]
        vocab = list(bytes_to_unicode().values())
        vocab = vocab + [v + "</w>" for v in vocab]
        for merge in merges:
            vocab.append("".join(merge))
        vocab.extend(SPECIAL_TOKENS)
        self.vocab = vocab
        self.encoder = dict(zip(vocab, range(len(vocab))))
        self.bpe_ranks = dict(zip(merges, range(len(merges))))
        self.cache = {t: t for t in SPECIAL_TOKENS}
        self.sot_token_id = self.encoder[SPECIAL_TOKENS[0]]
        self.eot_token_id = self.encoder[SPECIAL_TOKENS[1]]

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        pairs = get_pairs(word)
        if not pairs:
            return token + "</w>"
        while True:
            bigram = min(pairs, key=lambda pair: self.bpe_ranks.get(pair, float("inf")))
            if bigram not in self.bpe_ranks:
                break
            first, second = bigram
            new_word = []
            i = 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                    new_word.extend(word[i:j])
                    i = j
                except ValueError:
                    new_word.extend(word[i:])
                    break
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    new_word.append(first + second)
                    i += 2
                else:
                    new_word.append(word[i])
                    i += 1
            word = tuple(new_word)
            if len(word) == 1:
                break
            pairs = get_pairs(word)
        word = " ".join(word)
        self.cache[token] = word
        return word

    def encode(self, text):
        bpe_tokens = []
        text = clean_lower(text)
        for token in re.findall(PATTERN, text):
            token = "".join(self.byte_encoder[b] for b in token.encode("utf-8"))
            bpe_tokens.extend(self.encoder[t] for t in self.bpe(token).split(" "))
        return bpe_tokens

    def tokenize(self, text, context_length):
        tokens = [self.sot_token_id] + self.encode(text) + [self.eot_token_id]
        if len(tokens) > context_length:
            tokens = tokens[:context_length]
            tokens[-1] = self.eot_token_id
        return tokens + [0] * (context_length - len(tokens))


# ---------------------------------------------------------------- reference BPE trainer


def train_bpe_reference(corpus, num_merges, min_frequency):
    """Naive greedy BPE over the same words encode() sees; O(merges x words), fine when tiny."""
    encoder = bytes_to_unicode()
    counts = Counter()
    for caption in corpus:
        for token in re.findall(PATTERN, clean_lower(caption)):
            if token not in SPECIAL_TOKENS:
                counts[token] += 1
    words = {}
    for token, count in counts.items():
        symbols = [encoder[b] for b in token.encode("utf-8")]
        symbols[-1] += "</w>"
        words[tuple(symbols)] = count
    merges = []
    while len(merges) < num_merges:
        pairs = Counter()
        for word, count in words.items():
            for pair in zip(word, word[1:]):
                pairs[pair] += count
        if not pairs:
            break
        best = min(pairs, key=lambda p: (-pairs[p], p))
        if pairs[best] < min_frequency:
            break
        merges.append(best)
        merged = {}
        for word, count in words.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and word[i] == best[0] and word[i + 1] == best[1]:
                    out.append(best[0] + best[1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] = count
        words = merged
    return merges


# ---------------------------------------------------------------- fixed inputs

SUBJECTS = ["a dog", "a black cat", "two children", "an old man", "a young woman", "the red car",
            "a small bird", "three horses", "a wooden table", "the city skyline", "a plate of food",
            "a group of people", "a brown bear", "the white house", "a train"]
ACTIONS = ["sitting on", "running through", "standing next to", "playing with", "looking at",
           "walking along", "parked in front of", "flying over", "lying under", "waiting near"]
PLACES = ["the beach", "a green field", "the snowy mountains", "a busy street", "the kitchen",
          "a sunny park", "the river", "an empty room", "the forest at night", "a football stadium"]
EXTRAS = ["", "", "", " at sunset", " in the rain", ", photographed from above",
          " on a cloudy day", " - stock photo", " (2019)", " with a smile"]


def training_corpus():
    """240 template captions plus hand-written ones; deterministic (no RNG)."""
    corpus = []
    for i in range(240):
        subject = SUBJECTS[i % len(SUBJECTS)]
        action = ACTIONS[(i * 7) % len(ACTIONS)]
        place = PLACES[(i * 3 + i // 10) % len(PLACES)]
        extra = EXTRAS[(i * 11 + i // 7) % len(EXTRAS)]
        text = f"{subject} {action} {place}{extra}"
        corpus.append(text[0].upper() + text[1:] if i % 3 == 0 else text)
    corpus += [
        "It's a beautiful day in the neighbourhood.",
        "We're going to the beach & the park!",
        "Photo of a café in Paris, naïve art style",
        "Stock photo: happy family having dinner at home",
        "A close-up of a flower with water drops",
        "Vintage poster for the 1964 world's fair",
        "Aerial view of the city at night, 4K wallpaper",
        "The cat's toy is under the sofa",
        "They'll be here at 10:30 tomorrow",
        "I'm sure you've seen this before",
    ]
    return corpus


CASES = [
    "a photo of a cat",
    "A Photo Of A CAT",
    "two children playing with a dog on the beach",
    "Hello, world!",
    "it's a dog's life",
    "They'll say we're fine, I'm sure you've seen it; he'd go",
    "IT'S LOUD",
    "1234",
    "3.14 and $100 or 50%",
    "Fish &amp; Chips",
    "&lt;b&gt;bold&lt;/b&gt;",
    "&amp;amp; double escaped, &#39;quoted&#39; &quot;twice&quot; and &#x263A;",
    "caf&eacute; &copy2021 &apos; &apos no&semi;here &#150; &#0;",
    "  lots   of \t whitespace \n here  ",
    "non&nbsp;breaking",
    "café naïve résumé",
    "emoji 😀🎉 party",
    "東京タワー の 夜景",
    "ΟΔΟΣ ΣΟΦΙΑΣ",
    "İstanbul ŞEHİR",
    "Straße München",
    "x² + y³ = ½ and ٣ ①",
    "<start_of_text>hello<end_of_text>",
    "<START_OF_TEXT> upper special",
    "it'ſ odd",
    "!!! ??? ... ---",
    "",
    "   ",
    "a\u0345b",
    "file\u001cseparator",
    "a very long caption about a dog running through a green field at sunset with children",
    "the the the the the the the the the the the the the the the the the the",
]


def repetitive_corpus():
    """Seeded captions over a 3-letter alphabet plus digits and '!': runs like "aaaa" and "abab"
    exercise left-to-right, non-overlapping merging and many tied counts."""
    rng = random.Random(1234)
    corpus = []
    for _ in range(300):
        words = ["".join(rng.choice("aab") for _ in range(rng.randint(1, 9)))
                 for _ in range(rng.randint(1, 6))]
        if rng.random() < 0.3:
            words.append(rng.choice(["!!", "a!b", "12", "ab's", "<end_of_text>"]))
        corpus.append(" ".join(words))
    return corpus


# Raw bytes, not valid UTF-8: clipscale decodes like bytes.decode('utf-8', errors='replace').
BYTE_CASES = [b"caf\xc3 \xff ok \xe2\x82"]


def write_merges(path, merges):
    text = "#version: 0.2" + "".join(f"\n{a} {b}" for a, b in merges)
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as gz:
        gz.write(text.encode("utf-8"))
    with open(path, "wb") as f:
        f.write(buffer.getvalue())


def main():
    os.makedirs(DATA, exist_ok=True)
    corpus = training_corpus()
    merges = train_bpe_reference(corpus, NUM_MERGES, MIN_FREQUENCY)
    write_merges(VOCAB_PATH, merges)

    tok = SimpleTokenizer(VOCAB_PATH)
    assert len(tok.vocab) == 512 + len(merges) + 2
    cases = []
    for raw in [c.encode("utf-8") for c in CASES] + BYTE_CASES:
        s = raw.decode("utf-8", errors="replace")
        cleaned = clean_lower(s)
        cases.append({
            "input": s,
            "input_utf8_hex": raw.hex(),
            "clean": cleaned,
            "pretokens": re.findall(PATTERN, cleaned),
            "encode": tok.encode(s),
            "tokenize": tok.tokenize(s, CONTEXT_LENGTH),
        })
    repetitive = repetitive_corpus()
    repetitive_merges = train_bpe_reference(repetitive, 120, 1)
    repetitive_path = os.path.join(DATA, "repetitive_vocab.tmp.gz")
    write_merges(repetitive_path, repetitive_merges)
    repetitive_tok = SimpleTokenizer(repetitive_path)
    os.remove(repetitive_path)
    golden = {
        "generator": "tests/text/make_golden.py",
        "vocab_file": "tiny_vocab.txt.gz",
        "num_merges": len(merges),
        "vocab_size": len(tok.vocab),
        "sot_id": tok.sot_token_id,
        "eot_id": tok.eot_token_id,
        "context_length": CONTEXT_LENGTH,
        "training": {"vocab_size": 512 + NUM_MERGES + 2, "min_frequency": MIN_FREQUENCY,
                     "corpus": corpus},
        "cases": cases,
        "training_repetitive": {"vocab_size": 512 + 120 + 2, "min_frequency": 1,
                                "corpus": repetitive,
                                "merges": [list(m) for m in repetitive_merges],
                                "encode": [repetitive_tok.encode(c) for c in repetitive]},
    }
    with open(GOLDEN_PATH, "w", encoding="utf-8") as f:
        json.dump(golden, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"{len(merges)} merges, vocab {len(tok.vocab)}, {len(cases)} cases")


if __name__ == "__main__":
    main()
