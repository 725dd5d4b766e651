// A conversation over a workspace: its settings, the sources it was asked over (with their fingerprints), and the
// turns (question, reasoning, answer, citations, stats). Saved as versioned JSON; the reports render from it, so a
// saved conversation re-renders to the same report byte for byte.
// Plain values; not thread-safe.
#pragma once

#include "app/citations/Citation.h"

#include <QJsonObject>
#include <QList>
#include <QString>

namespace m1::app {

struct SamplingSettings {
    double temperature = 1.0;  // MiniMax-M1's recommended settings
    double topP = 0.95;
    int topK = 0;              // 0 = off
    quint64 seed = 0;
    int maxOutputTokens = 40960;  // thinking + answer budget (M1-40k; 81920 for M1-80k)
};

struct ModelInfo {
    QString name;        // "MiniMax-M1-80k", "demo (tiny, random weights)", or the endpoint's model name
    QString location;    // model directory or endpoint URL
    QString backend;     // "cpu", "cuda", "remote"
    bool randomWeights = false;  // the demo model: labelled as such everywhere its answers appear
};

struct SourceRecord {
    QString tag;       // "S1", "R1", ...
    QString kind;      // "pdf", "docx", "text", "git"
    QString path;
    QString sha256;    // of the file (or of the sorted file list with contents, for folders and repositories)
    QString commit;    // git sources: the commit that was read
    qint64 tokens = 0;
};

struct TurnStats {
    double timeToFirstTokenS = 0;
    double tokensPerSecond = 0;
    qint64 promptTokens = 0;      // tokens prefilled for this turn
    qint64 reusedTokens = 0;      // tokens taken from the prefilled prefix instead of prefilled again
    qint64 reasoningTokens = 0;
    qint64 answerTokens = 0;
    double reasoningSeconds = 0;
    bool prefixReused() const { return reusedTokens > 0; }
};

struct Turn {
    QString question;
    QString reasoning;
    QString answer;
    QList<Citation> citations;
    TurnStats stats;
};

class Conversation {
public:
    static constexpr int kFormatVersion = 1;

    QString title;
    QString systemPrompt;
    ModelInfo model;
    SamplingSettings sampling;
    QList<SourceRecord> sources;
    QList<Turn> turns;
    // The workspace the conversation was held over (Workspace::toJson), so that a session file brings back both.
    QJsonObject workspace;

    QJsonObject toJson() const;
    // Fails (false, *error set) on anything that is not a complete conversation of a known version.
    bool fromJson(const QJsonObject& json, QString* error);

    // Writes atomically (a temporary file renamed over the target): a failure leaves any earlier file intact.
    bool save(const QString& file, QString* error) const;
    bool load(const QString& file, QString* error);
};

}  // namespace m1::app
