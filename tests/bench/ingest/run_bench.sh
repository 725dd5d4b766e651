#!/usr/bin/env bash
# Ingest benchmark: pages/s of m1's PDF reader against pdftotext on the same large generated PDF, and files/s plus
# tokens/s on a generated repository of 10,000 files. Not a test; paste the output under "## Ingest" in
# tests/bench/RESULTS.md with the date and the machine.
#   tests/bench/ingest/run_bench.sh BUILD_DIR [PAGES] [FILES]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../../.." && pwd)"
build="${1:?usage: run_bench.sh BUILD_DIR [PAGES] [FILES]}"
pages="${2:-2000}"
files="${3:-10000}"
tokenizer="${M1_TOKENIZER:-$repo_root/../shared/models/minimax-m1/tokenizer.json}"
report="${M1_SHARED_DIR:-$repo_root/../shared}/corpus/minimax-m1-tech-report.pdf"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cmake --build "$build" --target m1_bench_ingest >/dev/null
python3 "$repo_root/tests/ingest/fixtures/make_pdfs.py" --large "$pages" "$work/large.pdf"
python3 "$here/make_large_repo.py" "$work/repo" "$files"

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "pdf: $pages pages, $(du -h "$work/large.pdf" | cut -f1); repo: $files files"
start=$(date +%s.%N)
pdftotext "$work/large.pdf" "$work/large.txt"
end=$(date +%s.%N)
python3 -c "s=$end-$start; print('pdftotext large.pdf  %d pages in %.3f s: %.0f pages/s (text only, one thread)' % ($pages, s, $pages/s))"
pdfs=(--pdf "$work/large.pdf")
if [ -f "$report" ]; then
  report_pages=$(pdfinfo "$report" | awk '/^Pages:/ {print $2}')
  start=$(date +%s.%N)
  pdftotext "$report" "$work/report.txt"
  end=$(date +%s.%N)
  python3 -c "s=$end-$start; print('pdftotext tech report %d pages in %.3f s: %.0f pages/s (text only, one thread)' % ($report_pages, s, $report_pages/s))"
  pdfs+=(--pdf "$report")
fi
"$build/tests/ingest/m1_bench_ingest" "${pdfs[@]}" --repo "$work/repo" --tokenizer "$tokenizer" --threads "$(nproc)"
