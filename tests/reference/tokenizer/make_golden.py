#!/usr/bin/env python3
"""Expected token ids for the tokenizer corpus, from Hugging Face `tokenizers` (the reference implementation).

    python3 tests/reference/tokenizer/make_golden.py TOKENIZER_JSON [CORPUS_DIR] [OUT_DIR]

Runs where `tokenizers` is installed (the GPU machine: tokenizers 0.23). For every corpus/*.txt it writes
OUT_DIR/<name>.ids (little-endian int32 ids of Tokenizer.encode(text, add_special_tokens=False)), and one
OUT_DIR/golden.json with, per file, the byte and token counts, the SHA-256 of HF's decode
(skip_special_tokens=False) and of Python's unicodedata NFC of the text, plus every probe string of probes.json
with its ids and decode. The C++ tests compare against these files byte for byte.
"""
import hashlib
import json
import platform
import struct
import sys
import unicodedata
from pathlib import Path

import tokenizers
from tokenizers import Tokenizer

HERE = Path(__file__).resolve().parent


def sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    tok = Tokenizer.from_file(sys.argv[1])
    corpus = Path(sys.argv[2]) if len(sys.argv) > 2 else HERE / "corpus"
    out = Path(sys.argv[3]) if len(sys.argv) > 3 else HERE / "golden"
    out.mkdir(parents=True, exist_ok=True)

    files = {}
    for path in sorted(corpus.glob("*.txt")):
        text = path.read_bytes().decode("utf-8")  # bytes first: no newline translation
        ids = tok.encode(text, add_special_tokens=False).ids
        (out / (path.stem + ".ids")).write_bytes(struct.pack(f"<{len(ids)}i", *ids))
        decoded = tok.decode(ids, skip_special_tokens=False)
        nfc = unicodedata.normalize("NFC", text)
        files[path.name] = {
            "bytes": len(text.encode("utf-8")), "tokens": len(ids),
            "decode_sha256": sha256(decoded), "nfc_sha256": sha256(nfc), "decode_equals_nfc": decoded == nfc,
        }
        print(f"{path.name}: {len(ids)} tokens, decode == NFC: {decoded == nfc}")

    probes = []
    for text in json.loads((corpus / "probes.json").read_text(encoding="utf-8")):
        ids = tok.encode(text, add_special_tokens=False).ids
        probes.append({"text": text, "ids": ids, "decode": tok.decode(ids, skip_special_tokens=False)})

    golden = {
        "generator": "tests/reference/tokenizer/make_golden.py",
        "tokenizers_version": tokenizers.__version__, "python": platform.python_version(),
        "unicodedata_version": unicodedata.unidata_version, "vocab_size": tok.get_vocab_size(with_added_tokens=True),
        "files": files, "probes": probes,
    }
    (out / "golden.json").write_text(json.dumps(golden, ensure_ascii=True, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
