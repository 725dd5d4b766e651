#include "app/core/JsonFile.h"

#include <QFile>
#include <QJsonDocument>
#include <QSaveFile>

namespace m1::app {

bool writeFileAtomically(const QString& file, const QByteArray& bytes, QString* error) {
    QSaveFile out(file);
    if (!out.open(QIODevice::WriteOnly) || out.write(bytes) != bytes.size() || !out.commit()) {
        *error = QStringLiteral("%1: cannot write (%2)").arg(file, out.errorString());
        return false;
    }
    return true;
}

bool readJsonObjectFile(const QString& file, const QString& what, QJsonObject* out, QString* error) {
    QFile in(file);
    if (!in.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("%1: cannot open the %2 file (%3)").arg(file, what, in.errorString());
        return false;
    }
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(in.readAll(), &parseError);
    if (doc.isNull() || !doc.isObject()) {
        *error = QStringLiteral("%1: not a complete %2 file (invalid JSON at offset %3: %4)")
                     .arg(file, what)
                     .arg(parseError.offset)
                     .arg(doc.isNull() ? parseError.errorString() : QStringLiteral("not an object"));
        return false;
    }
    *out = doc.object();
    return true;
}

}  // namespace m1::app
