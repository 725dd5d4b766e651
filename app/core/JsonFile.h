// Small file helpers shared by workspaces, conversations and reports: atomic writes (a temporary file renamed over
// the target, so a failure leaves any earlier file intact) and reading a whole file as one JSON object.
// Error messages start with the file name. Thread-safe (no shared state).
#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QString>

namespace m1::app {

bool writeFileAtomically(const QString& file, const QByteArray& bytes, QString* error);

// Reads `file` as a JSON object; `what` names the kind of file in messages ("workspace", "conversation"):
// "<file>: cannot open (...)" or "<file>: not a complete <what> file (invalid JSON at offset N: ...)".
bool readJsonObjectFile(const QString& file, const QString& what, QJsonObject* out, QString* error);

}  // namespace m1::app
