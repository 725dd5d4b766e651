#!/usr/bin/env bash
# Writes segments.json: the segment texts m1 ingest makes of the ingest fixtures (the same paths and flags as
# tests/ingest/cli's golden test), one record per segment. make_token_counts.py then counts them with Hugging Face
# tokenizers. Run again (and make_token_counts.py after it) whenever a reader changes how it cuts text.
#   tests/reference/ingest/dump_segments.sh BUILD_DIR
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
m1="${1:?usage: dump_segments.sh BUILD_DIR}/app/m1"
fx="$root/tests/ingest/fixtures"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$fx/git/repo/.gitted" "$work/.git"
cd "$root"
"$m1" ingest --json --tokenizer "${M1_TOKENIZER:-$root/../shared/models/minimax-m1/tokenizer.json}" \
  --ref v1.0 --history 0 tests/ingest/fixtures/pdf/report.pdf tests/ingest/fixtures/pdf/contract.pdf \
  tests/ingest/fixtures/docx/contract.docx "$work" |
  python3 -c '
import json, sys
doc = json.load(sys.stdin)
out = []
for s in doc["sources"]:
    name = s["path"] if s["kind"] != "git" else "fixture-repo@v1.0"
    for i, seg in enumerate(s["segments"]):
        out.append({"source": name, "index": i, "text": seg["text"]})
json.dump({"segments": out}, open(sys.argv[1], "w"), ensure_ascii=False, indent=0)
print(len(out), "segments")
' "$here/segments.json"
