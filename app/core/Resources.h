// Where M1 Studio finds its bundled resources (the demo workspace, prompt presets).
#pragma once

#include <QString>

namespace m1::app {

// The resources folder: $M1_RESOURCES_DIR when set, else ../share/m1studio next to the executable (installed
// layout), else the source tree's resources/ (build tree). Returns an empty string when none exists.
QString resourcesDir();

// The demo workspace file (resources/demo/workspace.json), or an empty string when it cannot be found.
QString demoWorkspaceFile();

}  // namespace m1::app
