#!/usr/bin/env bash
# M1 Studio's one entry point on a fresh Debian 12 / Ubuntu 24.04 machine:
#   packaging/bootstrap.sh run [args]   install what is missing, build, open m1studio on the demo workspace
#                                       (without a display: run the same demo headless through m1)
#   packaging/bootstrap.sh test         install what is missing, build, run every CTest suite except label gpu
#   packaging/bootstrap.sh build        install what is missing and build
# A second call does no apt work and rebuilds incrementally.
# Environment: M1_BUILD_DIR (default: build/ in the repository), M1_CMAKE_ARGS (extra configure arguments),
#              M1_JOBS (parallel build and test jobs; default: number of cores).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${M1_BUILD_DIR:-$repo/build}"
jobs="${M1_JOBS:-$(nproc 2>/dev/null || echo 2)}"
# ccache keys on paths relative to the repository, so a fresh clone elsewhere reuses earlier compilations.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$repo}"

# Debian 12 / Ubuntu 24.04 package names. Keep sorted; each later module adds what it needs here.
packages=(
  bzip2 ccache cmake fonts-dejavu-core g++ git imagemagick libcpp-httplib-dev libcurl4-openssl-dev libgit2-dev libgl-dev
  libopenblas-dev libpcre2-dev libpoppler-cpp-dev libpoppler-qt6-dev libpugixml-dev libtesseract-dev libzip-dev ninja-build
  nlohmann-json3-dev pkg-config poppler-utils python3-jinja2 qpdf qt6-base-dev qt6-base-dev-tools qt6-svg-dev tesseract-ocr
  tesseract-ocr-eng unicode-data xauth xvfb
)

say() { printf 'bootstrap: %s\n' "$*" >&2; }

install_missing() {
  if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    say "not a Debian/Ubuntu system: install the equivalents of these packages yourself: ${packages[*]}"
    return 0
  fi
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local cmd=(apt-get install -y --no-install-recommends "${missing[@]}")
  if [ "$(id -u)" -eq 0 ]; then
    say "installing ${#missing[@]} missing packages: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${cmd[@]}"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    say "installing ${#missing[@]} missing packages through sudo: ${missing[*]}"
    sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive "${cmd[@]}"
  else
    say "missing packages; run this as root, then call me again:"
    printf '  sudo apt-get update && sudo %s\n' "${cmd[*]}" >&2
    exit 1
  fi
}

configure_and_build() {
  if [ ! -f "$build/CMakeCache.txt" ]; then
    local args=(-S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release)
    if command -v ccache >/dev/null 2>&1; then
      args+=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
    fi
    # shellcheck disable=SC2206
    args+=(${M1_CMAKE_ARGS:-})
    say "configuring into $build"
    cmake "${args[@]}" >&2
  fi
  say "building ($jobs jobs)"
  cmake --build "$build" --parallel "$jobs" >&2
}

has_display() { [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; }

main() {
  local verb="${1:-}"
  [ $# -gt 0 ] && shift
  case "$verb" in
    run|test|build) ;;
    *) echo "usage: packaging/bootstrap.sh run [args] | test | build" >&2; exit 2 ;;
  esac
  install_missing
  configure_and_build
  case "$verb" in
    build) ;;
    run)
      if has_display; then
        exec "$build/app/m1studio" --demo "$@"
      else
        say "no display (DISPLAY and WAYLAND_DISPLAY are unset): running the demo headless"
        exec "$build/app/m1" demo --report "$build/demo-report.md" "$@"
      fi ;;
    test)
      cd "$build"
      exec ctest --label-exclude gpu --output-on-failure --parallel "$jobs" ;;
  esac
}

main "$@"
