#!/usr/bin/env python3
"""Single-thread encode throughput of Hugging Face `tokenizers`, on the same text as bench_tokenizer.cpp.

    RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false \
        python3 tests/bench/tokenizer/bench_hf.py TOKENIZER_JSON CORPUS_DIR [MEGABYTES=8] [RUNS=5]

The text is every CORPUS_DIR/*.txt in name order, concatenated and repeated until it reaches MEGABYTES. Times
Tokenizer.encode (not encode_batch) on the whole text, then file by file (chunked); prints one JSON object in the
same shape as the C++ side.
"""
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("RAYON_NUM_THREADS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import tokenizers  # noqa: E402  (after the environment is set)
from tokenizers import Tokenizer  # noqa: E402


def fnv1a(ids):
    h = 0xcbf29ce484222325
    for v in ids:
        v &= 0xFFFFFFFF
        for k in range(4):
            h ^= (v >> (8 * k)) & 0xFF
            h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    megabytes = float(sys.argv[3]) if len(sys.argv) > 3 else 8.0
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    documents = [p.read_bytes() for p in sorted(Path(sys.argv[2]).glob("*.txt"))]
    corpus = b"".join(documents)
    data = b""
    while len(data) < megabytes * 1e6:
        data += corpus
    text = data.decode("utf-8")

    t0 = time.perf_counter()
    tok = Tokenizer.from_file(sys.argv[1])
    load_s = time.perf_counter() - t0

    mbps = []
    ids = []
    for _ in range(runs + 1):  # the first run is the cold one (empty cache)
        t0 = time.perf_counter()
        ids = tok.encode(text, add_special_tokens=False).ids
        mbps.append(len(data) / (time.perf_counter() - t0) / 1e6)
    warm = sorted(mbps[1:])

    # Chunked: the same bytes encoded file by file (strings of 26..84 KB), as ingestion sees documents.
    texts = [d.decode("utf-8") for d in documents]
    chunked = []
    for _ in range(runs):
        done = 0
        t0 = time.perf_counter()
        while done < len(data):
            for d, t in zip(documents, texts):
                tok.encode(t, add_special_tokens=False)
                done += len(d)
        chunked.append(done / (time.perf_counter() - t0) / 1e6)
    chunked.sort()
    print(json.dumps({
        "impl": f"HF tokenizers {tokenizers.__version__}", "bytes": len(data), "tokens": len(ids),
        "ids_fnv1a64": f"{fnv1a(ids):016x}", "load_s": round(load_s, 3), "cold_mbps": round(mbps[0], 2),
        "median_mbps": round(warm[len(warm) // 2], 2), "best_mbps": round(warm[-1], 2), "runs": runs,
        "chunked_median_mbps": round(chunked[len(chunked) // 2], 2),
        "rayon_threads": os.environ["RAYON_NUM_THREADS"],
    }))


if __name__ == "__main__":
    main()
