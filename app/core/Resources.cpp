#include "app/core/Resources.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

namespace m1::app {

QString resourcesDir() {
    QStringList candidates;
    if (qEnvironmentVariableIsSet("M1_RESOURCES_DIR")) candidates << qEnvironmentVariable("M1_RESOURCES_DIR");
    if (QCoreApplication::instance())
        candidates << QCoreApplication::applicationDirPath() + QStringLiteral("/../share/m1studio");
    candidates << QStringLiteral(M1_SOURCE_RESOURCES_DIR);
    for (const QString& dir : candidates) {
        if (QFileInfo::exists(dir + QStringLiteral("/demo/workspace.json"))) return QDir(dir).absolutePath();
    }
    return {};
}

QString demoWorkspaceFile() {
    const QString dir = resourcesDir();
    return dir.isEmpty() ? QString() : dir + QStringLiteral("/demo/workspace.json");
}

QString cacheDir() {
    QString base = qEnvironmentVariable("XDG_CACHE_HOME");
    if (base.isEmpty()) base = QDir::homePath() + QStringLiteral("/.cache");
    return base + QStringLiteral("/m1studio");
}

QString demoModelDir() { return cacheDir() + QStringLiteral("/demo-model-tiny-seed1"); }

}  // namespace m1::app
