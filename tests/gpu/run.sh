#!/usr/bin/env bash
# One command for the H200 machine: the engine's GPU tests (label gpu) and the short GPU benchmark, then a summary
# table. The GPU machine has CUDA, CMake and ninja but no Qt and none of the engine's development packages
# (nlohmann-json, PCRE2, OpenBLAS), so there are two ways to run it:
#
#   tests/gpu/run.sh prebuilt [DIR]   (what the project uses) run executables built on a Debian 12 dev machine and
#                                     carried in DIR (default .deps/gpu, ignored by git): DIR/bin holds the tst_gpu_*
#                                     executables, m1 and bench_gpu; DIR/lib the shared libraries the GPU machine
#                                     lacks (OpenBLAS and its Fortran runtime, PCRE2). Make DIR here with
#                                     tests/gpu/run.sh pack [BUILD_DIR] after building the targets in BUILD_DIR
#                                     (default build-cuda, configured with -DM1_ENABLE_CUDA=ON -DM1_BUILD_APP=OFF).
#   tests/gpu/run.sh build [BUILD_DIR] configure (-DM1_BUILD_APP=OFF -DM1_BUILD_UI=OFF -DM1_ENABLE_CUDA=ON), build
#                                     the engine, m1, the GPU tests and the benchmark on the GPU machine itself, run
#                                     `ctest -L gpu`; the development files come from the packages above where they
#                                     are installed, else from .deps/gpu/build, which `pack` fills (headers, CMake
#                                     and pkg-config files, pkgconf; the libraries are those in .deps/gpu/lib).
#
# Environment: OUT (optional) receives the logs (one per test) and summary.txt.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
mode=${1:-prebuilt}
out=${OUT:-$root/build-gpu-logs}
mkdir -p "$out"
tests=(tst_gpu_memory_plan tst_gpu_ops tst_gpu_lightning tst_gpu_attention tst_gpu_moe tst_gpu_backend
       tst_gpu_random_weights tst_gpu_sampling tst_gpu_decode tst_gpu_tp)
export NCCL_NVLS_ENABLE=0  # NVLink multicast off in every process (shared multi-GPU hosts; tst_gpu_tp --nccl, bench_tp)

summary() {  # name status seconds
    printf '| %-22s | %-7s | %7s s |\n' "$1" "$2" "$3" | tee -a "$out/summary.txt"
}

case "$mode" in
pack)
    build=${2:-build-cuda}
    dir=.deps/gpu
    rm -rf "$dir" && mkdir -p "$dir/bin" "$dir/lib"
    for t in "${tests[@]}"; do cp "$build/tests/gpu/$t" "$dir/bin/"; done
    cp "$build/app/m1" "$dir/bin/"
    for b in bench_gpu bench_attention bench_breakdown bench_tp bench_gemm; do [ -x "$build/tests/gpu/$b" ] && cp "$build/tests/gpu/$b" "$dir/bin/"; done
    # Every shared library the executables load that is neither glibc's, the compiler runtime's nor CUDA's.
    for f in "$dir"/bin/*; do ldd "$f"; done | awk '/=> \// {print $3}' | sort -u |
        grep -Ev '/lib(c|m|dl|rt|pthread|stdc\+\+|gcc_s)\.so|/libcu(da|dart|blas|blasLt)\.so' |
        while read -r lib; do cp -L "$lib" "$dir/lib/"; done
    strip "$dir"/bin/*
    # What `run.sh build` needs on a machine without the development packages: headers, nlohmann_json's CMake
    # package, a pkg-config file for PCRE2 and pkgconf itself (the libraries are the ones in $dir/lib).
    mkdir -p "$dir/build/include" "$dir/build/share/cmake" "$dir/build/lib/pkgconfig" "$dir/build/bin"
    cp -r /usr/include/nlohmann /usr/include/pcre2.h "$dir/build/include/"
    cp /usr/include/x86_64-linux-gnu/openblas-pthread/{cblas.h,openblas_config.h} "$dir/build/include/"
    cp -r /usr/share/cmake/nlohmann_json "$dir/build/share/cmake/"
    cp -L /usr/bin/pkgconf "$dir/build/bin/" && cp -L /lib/x86_64-linux-gnu/libpkgconf.so.3 "$dir/build/lib/"
    cat > "$dir/build/lib/pkgconfig/libpcre2-8.pc" <<'PC'
libdir=${pcfiledir}/../../../lib
includedir=${pcfiledir}/../../include
Name: libpcre2-8
Description: PCRE2 (8-bit code units), carried for tests/gpu/run.sh build
Version: 10.42
Libs: -L${libdir} -lpcre2-8
Cflags: -I${includedir}
PC
    grep -qx '/.deps/' .git/info/exclude || echo '/.deps/' >> .git/info/exclude
    du -sh "$dir"
    ls "$dir/bin" "$dir/lib"
    exit 0
    ;;
prebuilt)
    dir=${2:-.deps/gpu}
    export LD_LIBRARY_PATH="$root/$dir/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    export M1_SOURCE_DIR=$root M1_CLI=$root/$dir/bin/m1
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem --format=csv | tee "$out/gpu.txt"
    : > "$out/summary.txt"
    printf '| %-22s | %-7s | %9s |\n|---|---|---|\n' test result time | tee -a "$out/summary.txt"
    failed=0
    for t in "${tests[@]}"; do
        start=$(date +%s.%N)
        "$root/$dir/bin/$t" > "$out/$t.log" 2>&1
        rc=$?
        secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
        case $rc in 0) st=pass ;; 77) st=skipped ;; *) st="FAIL($rc)"; failed=1 ;; esac
        summary "$t" "$st" "$secs"
        grep -E 'FAIL|exception' "$out/$t.log" | head -20
    done
    # TP 2 over NCCL: skipped (77) unless two GPUs are visible.
    start=$(date +%s.%N)
    "$root/$dir/bin/tst_gpu_tp" --nccl > "$out/tst_gpu_tp_nccl.log" 2>&1
    rc=$?
    secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    case $rc in 0) st=pass ;; 77) st=skipped ;; *) st="FAIL($rc)"; failed=1 ;; esac
    summary "tst_gpu_tp --nccl" "$st" "$secs"
    if [ -x "$root/$dir/bin/bench_gpu" ]; then
        "$root/$dir/bin/bench_gpu" 2>&1 | tee "$out/bench_gpu.txt"
    fi
    cat "$out/summary.txt"
    exit $failed
    ;;
build)
    build=${2:-build-gpu}
    dep=$root/.deps/gpu
    if [ -d "$dep/build" ]; then  # the development files carried by `run.sh pack` (the GPU machine has none)
        ln -sf libopenblas.so.0 "$dep/lib/libopenblas.so" && ln -sf libpcre2-8.so.0 "$dep/lib/libpcre2-8.so"
        command -v pkg-config > /dev/null || { ln -sf pkgconf "$dep/build/bin/pkg-config"; export PATH=$dep/build/bin:$PATH; }
        export CMAKE_PREFIX_PATH=$dep/build:$dep${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}
        export PKG_CONFIG_PATH=$dep/build/lib/pkgconfig CPATH=$dep/build/include
        export LD_LIBRARY_PATH=$dep/lib:$dep/build/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
        export M1_SOURCE_DIR=$root
    fi
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DM1_BUILD_APP=OFF -DM1_BUILD_UI=OFF \
        -DM1_ENABLE_CUDA=ON > "$out/configure.log" 2>&1 ||
        { tail -30 "$out/configure.log"; exit 1; }
    cmake --build "$build" -j"$(nproc)" > "$out/build.log" 2>&1 || { grep -E 'error' "$out/build.log" | head -30; exit 1; }
    ctest --test-dir "$build" -L gpu --output-on-failure 2>&1 | tee "$out/ctest.log"
    rc=${PIPESTATUS[0]}
    [ -x "$build/tests/gpu/bench_gpu" ] && "$build/tests/gpu/bench_gpu" 2>&1 | tee "$out/bench_gpu.txt"
    exit "$rc"
    ;;
*)
    echo "usage: tests/gpu/run.sh [prebuilt [DIR] | pack [BUILD_DIR] | build [BUILD_DIR]]" >&2
    exit 2
    ;;
esac
