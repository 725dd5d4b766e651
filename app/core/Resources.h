// Where M1 Studio finds its bundled resources (the demo workspace, prompt presets).
#pragma once

#include <QString>

namespace m1::app {

// The resources folder: $M1_RESOURCES_DIR when set, else ../share/m1studio next to the executable (installed
// layout), else the source tree's resources/ (build tree). Returns an empty string when none exists.
QString resourcesDir();

// The demo workspace file (resources/demo/workspace.json), or an empty string when it cannot be found.
QString demoWorkspaceFile();

// M1 Studio's cache folder: $XDG_CACHE_HOME/m1studio, or ~/.cache/m1studio.
QString cacheDir();

// Where the demo model (`m1 make-model --preset tiny --seed 1`, random weights) is made on first use; shared by
// `m1 demo` and the desktop app.
QString demoModelDir();

}  // namespace m1::app
