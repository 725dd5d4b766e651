#include "app/core/Workspace.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace m1::app {

bool Workspace::load(const QString& file, QString* error) {
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("%1: cannot open the workspace file (%2)").arg(file, f.errorString());
        return false;
    }
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &parseError);
    if (doc.isNull()) {
        *error = QStringLiteral("%1: not valid JSON at offset %2 (%3)")
                     .arg(file)
                     .arg(parseError.offset)
                     .arg(parseError.errorString());
        return false;
    }
    const QJsonObject root = doc.object();
    if (!root.value(QStringLiteral("sources")).isArray()) {
        *error = QStringLiteral("%1: a workspace needs a \"sources\" array").arg(file);
        return false;
    }
    QList<WorkspaceSource> sources;
    for (const QJsonValue& v : root.value(QStringLiteral("sources")).toArray()) {
        const QJsonObject o = v.toObject();
        WorkspaceSource s;
        s.path = o.value(QStringLiteral("path")).toString();
        s.kind = o.value(QStringLiteral("kind")).toString();
        s.included = o.value(QStringLiteral("included")).toBool(true);
        if (s.path.isEmpty()) {
            *error = QStringLiteral("%1: source %2 has no \"path\"").arg(file).arg(sources.size() + 1);
            return false;
        }
        sources.append(s);
    }
    m_file = QFileInfo(file).absoluteFilePath();
    m_name = root.value(QStringLiteral("name")).toString(QFileInfo(file).completeBaseName());
    m_sources = sources;
    return true;
}

QString Workspace::absolutePath(const WorkspaceSource& source) const {
    return QDir::cleanPath(QFileInfo(m_file).absoluteDir().absoluteFilePath(source.path));
}

}  // namespace m1::app
