#!/usr/bin/env bash
# Configures and builds the engine-only m1 with CUDA forced off, then prints `m1 version`.
set -euo pipefail
src="$1"; out="$2"
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
cmake -S "$src" -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=Release -DM1_ENABLE_CUDA=OFF -DM1_BUILD_APP=OFF \
  -DM1_BUILD_UI=OFF -DM1_BUILD_TESTS=OFF "${launcher[@]}" >/dev/null
cmake --build "$out" --target m1 --parallel "$(nproc)" >/dev/null
"$out/app/m1" version
