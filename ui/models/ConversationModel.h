// The Conversation pane's item model: one row per turn (question, streamed reasoning and answer, citations, stats),
// including the turn being streamed. The panes render from it; tests drive it without any widget.
// GUI thread only.
#pragma once

#include "app/session/Conversation.h"

#include <QAbstractListModel>
#include <QElapsedTimer>

namespace m1::ui {

class ConversationModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum Role {
        QuestionRole = Qt::UserRole + 1,
        ReasoningRole,
        AnswerRole,
        StreamingRole,        // bool: this turn is still streaming
        ThinkingRole,         // bool: streaming and no answer text yet
        ReasoningExpandedRole,
        ThoughtSummaryRole,   // "Thought for 3 s · 120 tokens" (empty without reasoning)
        StatsRole,            // "first token 0.21 s · 512 tok/s · 96 tokens · 1,204 prompt tokens reused"
        StoppedRole,
    };

    explicit ConversationModel(QObject* parent = nullptr);

    // The model whose answers these are: answers of a random-weight model are labelled as such.
    void setModelInfo(const m1::app::ModelInfo& info);
    const m1::app::ModelInfo& modelInfo() const { return m_info; }
    QString modelLabel() const;

    void beginTurn(const QString& question);
    void appendReasoning(const QString& delta, qint64 tokensSoFar);
    void appendAnswer(const QString& delta);
    void addCitation(const m1::app::Citation& citation);
    // The session's final record of the streaming turn (verified citations, stats).
    void finishTurn(const m1::app::Turn& turn, bool stopped);
    // Replaces everything (an opened session).
    void setTurns(const QList<m1::app::Turn>& turns);
    void clear();

    void setReasoningExpanded(int row, bool expanded);
    bool isStreaming() const { return !m_turns.isEmpty() && m_turns.back().streaming; }
    const m1::app::Turn& turn(int row) const { return m_turns.at(row).turn; }
    int turnCount() const { return int(m_turns.size()); }

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    static QString thoughtSummary(double seconds, qint64 tokens);
    static QString statsText(const m1::app::TurnStats& stats);

signals:
    // A coarser signal than dataChanged, for views that re-render the whole document.
    void changed();

private:
    struct Entry {
        m1::app::Turn turn;
        bool streaming = false;
        bool stopped = false;
        bool expanded = false;
        qint64 liveReasoningTokens = 0;
        double liveReasoningSeconds = -1;  // set when the answer starts
        QElapsedTimer clock;
        qint64 reasoningStartMs = -1;
    };
    void touch(int row);

    QList<Entry> m_turns;
    m1::app::ModelInfo m_info;
};

}  // namespace m1::ui
