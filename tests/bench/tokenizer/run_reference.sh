#!/usr/bin/env bash
# One call on the GPU machine (HF tokenizers installed, no PCRE2, no Qt): the golden ids and the throughput
# benchmark, both against the same tokenizer.json. Needs .refdata/tokenizer.json (a copy of
# ../shared/models/minimax-m1/tokenizer.json) and .refdata/bench_tokenizer (from build_static.sh), carried over.
#   OUT=/some/dir tests/bench/tokenizer/run_reference.sh
# Writes $OUT/golden.tar.gz (make_golden.py's output), $OUT/bench.jsonl (HF and m1 alternately) and $OUT/machine.txt.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cd "$repo"
tok=.refdata/tokenizer.json
corpus=tests/reference/tokenizer/corpus
: "${OUT:?set OUT to the output folder}"

{ date -u; uname -a; lscpu | grep -E 'Model name|^CPU\(s\)'; python3 --version
  python3 -c 'import tokenizers; print("tokenizers", tokenizers.__version__)'; } > "$OUT/machine.txt" 2>&1

python3 tests/reference/tokenizer/make_golden.py "$tok" "$corpus" "$OUT/golden"
# Reproducible? Compare with the committed goldens (the tarball comes back either way).
if diff -r "$OUT/golden" tests/reference/tokenizer/golden >/dev/null; then echo "golden: identical to the committed files"
else echo "golden: DIFFERS from the committed files"; fi | tee -a "$OUT/machine.txt"
tar -C "$OUT/golden" -czf "$OUT/golden.tar.gz" . && rm -rf "$OUT/golden"

export RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false
for round in 1 2; do
  python3 tests/bench/tokenizer/bench_hf.py "$tok" "$corpus" 8 5 >> "$OUT/bench.jsonl"
  .refdata/bench_tokenizer "$tok" "$corpus" 8 5 8 >> "$OUT/bench.jsonl"
done
cat "$OUT/bench.jsonl"
