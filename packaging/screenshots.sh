#!/usr/bin/env bash
# Renders the README's screenshots of the desktop app on the demo workspace, under Xvfb (no display needed):
#   docs/screenshots/main-window-answering.png   the demo model streaming its answer
#   docs/screenshots/main-window-citation.png    a citation open in the viewer, its lines highlighted
#
#   packaging/screenshots.sh [OUTDIR]      (default docs/screenshots; the build folder is $M1_BUILD_DIR or build/)
#
# m1studio --demo --screenshots drives the window itself (ui/ScreenshotTour.cpp): it makes the demo model on first
# use, waits for the sources, asks the demo question, saves the window mid-answer, stops, then opens a citation.
# The demo model has random weights, so its answer is noise and it never cites: the citation in the second picture
# is typed in, and the Citations pane says so. Needs xvfb-run; ImageMagick (optional) makes the files smaller.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${M1_BUILD_DIR:-$root/build}"
out="${1:-$root/docs/screenshots}"
app="$build/app/m1studio"
[ -x "$app" ] || { echo "screenshots.sh: $app not found; build first (packaging/bootstrap.sh build)" >&2; exit 1; }
command -v xvfb-run >/dev/null || { echo "screenshots.sh: xvfb-run is missing (apt-get install xvfb xauth)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -m 700 "$work/runtime"
# Own settings and runtime folder: the user's settings are neither read nor changed.
XDG_RUNTIME_DIR="$work/runtime" xvfb-run -a -s "-screen 0 1600x1000x24" \
    "$app" --demo --settings "$work/settings.ini" --screenshots "$work/shots"

mkdir -p "$out"
for f in "$work"/shots/*.png; do
    if command -v convert >/dev/null; then
        convert "$f" -strip -colors 256 PNG8:"$out/$(basename "$f")"
    else
        cp "$f" "$out/"
    fi
    echo "$out/$(basename "$f")"
done
