#!/usr/bin/env python3
"""Golden token ids of the project's own tokenizer (engine/model/demo_tokenizer.h), computed by Hugging Face
`tokenizers` — the independent reference for tests/engine/model/tst_demo_tokenizer.cpp.

tokenizer.json and tokenizer_config.json beside this script are the project tokenizer as `m1 make-model --preset tiny
--seed 0 --out DIR --config-only` wrote it (trained on resources/demo/docs at the time); they are fixtures, so the
golden ids stay valid when the demo documents change.

Runs where `tokenizers` is installed (the H200 machine):
    python3 tests/reference/demo_tokenizer/make_golden.py OUT_DIR
writes OUT_DIR/golden.json: {"tokenizers_version", "cases": [{"text", "ids", "decoded"}]}. Copy it beside this script.
"""
import json
import pathlib
import sys

import tokenizers

HERE = pathlib.Path(__file__).resolve().parent

TEXTS = [
    "Hello, world! 12345 déjà vu",
    "M1 Studio reads long documents: PDFs, contracts and whole git repositories.",
    "The lightning state is a 128 x 128 matrix per head; it decays by exp(-s) every token.",
    "don't I'll we've THEY'RE she'd It's",
    "def step(state, k, v, q, decay):\n    state = decay * state + k.T @ v\n    return q @ state\n",
    "tabs\tand  double  spaces   \n\n\nblank lines\r\nCRLF line\n",
    "naïve café — “quotes” and ‘single’ … ellipsis",
    "decomposed: cafe\u0301 nai\u0308ve (NFC joins them)",
    "中文 日本語 한국어 Ελληνικά русский עברית العربية",
    "emoji 👨‍👩‍👧 🚀 and flags 🇫🇷",
    "numbers 3.14159 1,000,000 2026-11-30 0x1F 007",
    "<begin_of_document><beginning_of_sentence>user name=user\nHi<end_of_sentence>\n"
    "<beginning_of_sentence>ai name=assistant\n",
    "<think>\nreasoning\n</think>\n<tool_calls>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_calls>",
    "<beginning_of_sentence><beginning_of_sentence><pad><not_a_token><end_of_document>",
    "",
    " ",
    "a",
    "Section 4.2 (Termination). Either party may terminate this Agreement upon thirty (30) days' written notice.",
]


def main():
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else HERE)
    out.mkdir(parents=True, exist_ok=True)
    tok = tokenizers.Tokenizer.from_file(str(HERE / "tokenizer.json"))
    cases = []
    for text in TEXTS:
        ids = tok.encode(text, add_special_tokens=False).ids
        cases.append({"text": text, "ids": ids, "decoded": tok.decode(ids, skip_special_tokens=False)})
    doc = {"tokenizers_version": tokenizers.__version__, "vocab_size": tok.get_vocab_size(with_added_tokens=True),
           "cases": cases}
    (out / "golden.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"tokenizers {tokenizers.__version__}: {len(cases)} cases, vocab {doc['vocab_size']}")


if __name__ == "__main__":
    main()
