#include "ui/models/ConversationModel.h"

#include <QLocale>

namespace m1::ui {

ConversationModel::ConversationModel(QObject* parent) : QAbstractListModel(parent) {}

void ConversationModel::setModelInfo(const m1::app::ModelInfo& info) {
    m_info = info;
    emit changed();
}

QString ConversationModel::modelLabel() const {
    if (m_info.name.isEmpty()) return tr("no model");
    return m_info.randomWeights ? tr("%1 — random weights: answers are noise").arg(m_info.name) : m_info.name;
}

void ConversationModel::beginTurn(const QString& question) {
    const int row = int(m_turns.size());
    beginInsertRows({}, row, row);
    Entry e;
    e.turn.question = question;
    e.streaming = true;
    e.clock.start();
    m_turns.append(e);
    endInsertRows();
    emit changed();
}

void ConversationModel::appendReasoning(const QString& delta, qint64 tokensSoFar) {
    if (!isStreaming()) return;
    Entry& e = m_turns.back();
    if (e.reasoningStartMs < 0) e.reasoningStartMs = e.clock.elapsed();
    e.turn.reasoning += delta;
    e.liveReasoningTokens = tokensSoFar;
    touch(int(m_turns.size()) - 1);
}

void ConversationModel::appendAnswer(const QString& delta) {
    if (!isStreaming()) return;
    Entry& e = m_turns.back();
    if (e.turn.answer.isEmpty() && e.reasoningStartMs >= 0)
        e.liveReasoningSeconds = double(e.clock.elapsed() - e.reasoningStartMs) / 1000.0;
    e.turn.answer += delta;
    touch(int(m_turns.size()) - 1);
}

void ConversationModel::addCitation(const m1::app::Citation& citation) {
    if (!isStreaming()) return;
    m_turns.back().turn.citations.append(citation);
    touch(int(m_turns.size()) - 1);
}

void ConversationModel::finishTurn(const m1::app::Turn& turn, bool stopped) {
    if (!isStreaming()) return;
    Entry& e = m_turns.back();
    // The session's record is the reference; keep streamed text if the session has none (stopped before the end).
    const QString reasoning = e.turn.reasoning, answer = e.turn.answer;
    const QList<m1::app::Citation> citations = e.turn.citations;
    e.turn = turn;
    if (e.turn.reasoning.isEmpty()) e.turn.reasoning = reasoning;
    if (e.turn.answer.isEmpty()) e.turn.answer = answer;
    if (e.turn.citations.isEmpty()) e.turn.citations = citations;
    e.streaming = false;
    e.stopped = stopped;
    touch(int(m_turns.size()) - 1);
}

void ConversationModel::setTurns(const QList<m1::app::Turn>& turns) {
    beginResetModel();
    m_turns.clear();
    for (const m1::app::Turn& t : turns) {
        Entry e;
        e.turn = t;
        m_turns.append(e);
    }
    endResetModel();
    emit changed();
}

void ConversationModel::clear() { setTurns({}); }

void ConversationModel::setReasoningExpanded(int row, bool expanded) {
    if (row < 0 || row >= turnCount()) return;
    m_turns[row].expanded = expanded;
    touch(row);
}

void ConversationModel::touch(int row) {
    const QModelIndex i = index(row);
    emit dataChanged(i, i);
    emit changed();
}

int ConversationModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(m_turns.size()); }

QString ConversationModel::thoughtSummary(double seconds, qint64 tokens) {
    return tr("Thought for %1 s · %2 tokens").arg(seconds < 10 ? QString::number(seconds, 'f', 1) : QString::number(qRound(seconds)))
        .arg(QLocale().toString(tokens));
}

QString ConversationModel::statsText(const m1::app::TurnStats& s) {
    const QLocale l;
    QStringList parts;
    parts << tr("first token %1 s").arg(s.timeToFirstTokenS, 0, 'f', 2);
    parts << tr("%1 tok/s").arg(s.tokensPerSecond, 0, 'f', s.tokensPerSecond < 10 ? 1 : 0);
    parts << tr("%1 tokens").arg(l.toString(s.reasoningTokens + s.answerTokens));
    parts << tr("%1 prompt tokens").arg(l.toString(s.promptTokens));
    if (s.prefixReused()) parts << tr("%1 reused").arg(l.toString(s.reusedTokens));
    return parts.join(QStringLiteral(" · "));
}

QVariant ConversationModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= turnCount()) return {};
    const Entry& e = m_turns.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case QuestionRole: return e.turn.question;
    case ReasoningRole: return e.turn.reasoning;
    case AnswerRole: return e.turn.answer;
    case StreamingRole: return e.streaming;
    case ThinkingRole: return e.streaming && e.turn.answer.isEmpty();
    case ReasoningExpandedRole: return e.expanded;
    case StoppedRole: return e.stopped;
    case ThoughtSummaryRole:
        if (e.turn.reasoning.isEmpty()) return QString();
        if (!e.streaming) return thoughtSummary(e.turn.stats.reasoningSeconds, e.turn.stats.reasoningTokens);
        if (e.liveReasoningSeconds >= 0) return thoughtSummary(e.liveReasoningSeconds, e.liveReasoningTokens);
        return tr("Thinking… %1 tokens").arg(QLocale().toString(e.liveReasoningTokens));
    case StatsRole: return e.streaming ? QString() : statsText(e.turn.stats);
    default: return {};
    }
}

QHash<int, QByteArray> ConversationModel::roleNames() const {
    return {{QuestionRole, "question"}, {ReasoningRole, "reasoning"}, {AnswerRole, "answer"},
            {StreamingRole, "streaming"}, {ThoughtSummaryRole, "thoughtSummary"}, {StatsRole, "stats"}};
}

}  // namespace m1::ui
