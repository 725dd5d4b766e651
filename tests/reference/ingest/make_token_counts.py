#!/usr/bin/env python3
"""Token counts of the ingest fixtures' segments by Hugging Face `tokenizers` (the reference implementation).

    python3 tests/reference/ingest/make_token_counts.py TOKENIZER_JSON [SEGMENTS_JSON] [OUT_JSON]

Reads segments.json (written by dump_segments.sh) and writes token_counts.json: for every segment its source, index,
the sha256 of its UTF-8 text and len(Tokenizer.encode(text, add_special_tokens=False).ids). Runs where `tokenizers`
is installed (the GPU machine has tokenizers 0.23). tests/ingest/cli checks m1 ingest's counts against the file.
"""
import hashlib
import json
import sys
from pathlib import Path

from tokenizers import Tokenizer

HERE = Path(__file__).resolve().parent


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    tok = Tokenizer.from_file(argv[1])
    segments = json.loads(Path(argv[2] if len(argv) > 2 else HERE / "segments.json").read_text("utf-8"))["segments"]
    out = []
    for s in segments:
        ids = tok.encode(s["text"], add_special_tokens=False).ids
        out.append({"source": s["source"], "index": s["index"],
                    "sha256": hashlib.sha256(s["text"].encode("utf-8")).hexdigest(), "tokens": len(ids)})
    import tokenizers
    Path(argv[3] if len(argv) > 3 else HERE / "token_counts.json").write_text(
        json.dumps({"generator": "tokenizers " + tokenizers.__version__, "segments": out}, indent=0) + "\n", "utf-8")
    print(len(out), "segments,", sum(o["tokens"] for o in out), "tokens")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
