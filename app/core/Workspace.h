// A workspace: a named, ordered list of sources with an include flag each, saved as JSON.
// Relative source paths are resolved against the workspace file's folder.
// Not thread-safe; a Workspace is a value owned by whoever loaded it.
#pragma once

#include <QList>
#include <QString>

namespace m1::app {

struct WorkspaceSource {
    QString path;          // as written in the file (relative or absolute)
    QString kind;          // "pdf", "docx", "text", "git"; empty = decided by the reader
    bool included = true;  // excluded sources stay listed but are left out of the context
};

class Workspace {
public:
    // Loads a workspace file. On failure returns false and sets *error to a message naming the file and the problem.
    bool load(const QString& file, QString* error);

    QString name() const { return m_name; }
    QString file() const { return m_file; }
    const QList<WorkspaceSource>& sources() const { return m_sources; }

    // Absolute path of a source, resolved against the workspace folder.
    QString absolutePath(const WorkspaceSource& source) const;

private:
    QString m_file;
    QString m_name;
    QList<WorkspaceSource> m_sources;
};

}  // namespace m1::app
