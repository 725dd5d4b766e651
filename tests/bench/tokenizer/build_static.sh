#!/usr/bin/env bash
# Builds bench_tokenizer as one fully static binary (PCRE2 from libpcre2-8.a), so that it runs on the GPU machine,
# which has no PCRE2 development package and may have another glibc.
#   tests/bench/tokenizer/build_static.sh [OUT=.refdata/bench_tokenizer]
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
out="${1:-$repo/.refdata/bench_tokenizer}"
mkdir -p "$(dirname "$out")"
g++ -std=c++20 -O2 -DNDEBUG -static -pthread -I"$repo" \
    "$repo/tests/bench/tokenizer/bench_tokenizer.cpp" "$repo"/engine/tokenizer/*.cpp \
    /usr/lib/x86_64-linux-gnu/libpcre2-8.a -o "$out"
echo "built $out"
