// A workspace: a named, ordered list of sources and the settings to ask them with, saved as versioned JSON.
//
//   {"version": 1, "name": "...",
//    "sources": [{"path": "docs/a.pdf", "kind": "pdf", "included": true,
//                 "include": ["src/**"], "exclude": ["docs/old/**"],   // files and folders inside a source
//                 "ref": "v1.0", "contract": false}],
//    "settings": {"model": "/models/MiniMax-M1-80k", "endpoint": "", "backend": "cuda", "temperature": 1.0,
//                 "top_p": 0.95, "top_k": 0, "seed": 0, "output_budget": 40960, "system_preset": "general",
//                 "system_prompt": ""}}
//
// Relative source paths are resolved against the workspace file's folder. Files are written atomically.
// Not thread-safe; a Workspace is a value owned by whoever loaded it.
#pragma once

#include "app/session/Conversation.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace m1::app {

struct WorkspaceSource {
    QString path;          // as written in the file (relative or absolute)
    QString kind;          // "pdf", "docx", "text", "git"; empty = decided by the reader
    bool included = true;  // excluded sources stay listed but are left out of the context
    QStringList include;   // globs of files and folders to keep inside the source (empty = all)
    QStringList exclude;   // globs of files and folders to leave out
    QString ref;           // git sources: branch, tag or commit (empty = HEAD)
    bool contract = false; // read a PDF as a contract (clause anchors)
};

struct WorkspaceSettings {
    QString model;                    // local checkpoint directory
    QString endpoint;                 // OpenAI-compatible URL (used instead of model when set)
    QString backend = QStringLiteral("cpu");
    SamplingSettings sampling;        // temperature 1.0, top-p 0.95, output budget 40960 by default
    QString systemPreset = QStringLiteral("general");  // general, webdev, math
    QString systemPrompt;             // overrides the preset when not empty
};

class Workspace {
public:
    static constexpr int kFormatVersion = 1;

    // Loads a workspace file. On failure returns false, leaves this workspace unchanged, and sets *error to a
    // message naming the file and the problem.
    bool load(const QString& file, QString* error);
    // Writes atomically; relative paths stay relative to the file's folder.
    bool save(const QString& file, QString* error);

    QJsonObject toJson() const;
    bool fromJson(const QJsonObject& json, const QString& origin, QString* error);

    QString name() const { return m_name; }
    void setName(const QString& name) { m_name = name; }
    QString file() const { return m_file; }
    const QList<WorkspaceSource>& sources() const { return m_sources; }
    QList<WorkspaceSource>& sources() { return m_sources; }
    const WorkspaceSettings& settings() const { return m_settings; }
    WorkspaceSettings& settings() { return m_settings; }

    // Absolute path of a source, resolved against the workspace folder.
    QString absolutePath(const WorkspaceSource& source) const;

private:
    QString m_file;
    QString m_name;
    QList<WorkspaceSource> m_sources;
    WorkspaceSettings m_settings;
};

}  // namespace m1::app
