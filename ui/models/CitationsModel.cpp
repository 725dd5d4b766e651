#include "ui/models/CitationsModel.h"

#include "ui/KindIcons.h"

namespace m1::ui {

// Internal ids: 0 for answer rows, answer + 1 for citation rows (so a citation's parent is found from its id).
CitationsModel::CitationsModel(QObject* parent) : QAbstractItemModel(parent) {}

void CitationsModel::addAnswer(const QString& question) {
    const int row = answerCount();
    beginInsertRows({}, row, row);
    m_answers.append({question, {}});
    endInsertRows();
}

void CitationsModel::addCitation(int answer, const m1::app::Citation& citation) {
    if (answer < 0 || answer >= answerCount()) return;
    const int row = int(m_answers[answer].citations.size());
    beginInsertRows(index(answer, 0), row, row);
    m_answers[answer].citations.append(citation);
    endInsertRows();
}

void CitationsModel::setCitations(int answer, const QList<m1::app::Citation>& citations) {
    if (answer < 0 || answer >= answerCount()) return;
    const QModelIndex parent = index(answer, 0);
    const int had = int(m_answers[answer].citations.size());
    if (had > 0) {
        beginRemoveRows(parent, 0, had - 1);
        m_answers[answer].citations.clear();
        endRemoveRows();
    }
    if (!citations.isEmpty()) {
        beginInsertRows(parent, 0, int(citations.size()) - 1);
        m_answers[answer].citations = citations;
        endInsertRows();
    }
    emit dataChanged(parent, index(answer, ColumnCount - 1));
}

void CitationsModel::clear() {
    beginResetModel();
    m_answers.clear();
    endResetModel();
}

const m1::app::Citation* CitationsModel::citation(const QModelIndex& index) const {
    if (!index.isValid() || index.internalId() == 0) return nullptr;
    const int answer = int(index.internalId()) - 1;
    if (answer >= answerCount() || index.row() >= m_answers[answer].citations.size()) return nullptr;
    return &m_answers[answer].citations[index.row()];
}

QModelIndex CitationsModel::citationIndex(int answer, int citation) const {
    return index(citation, 0, index(answer, 0));
}

QModelIndex CitationsModel::index(int row, int column, const QModelIndex& parent) const {
    if (row < 0 || column < 0 || column >= ColumnCount) return {};
    if (!parent.isValid()) return row < answerCount() ? createIndex(row, column, quintptr(0)) : QModelIndex();
    if (parent.internalId() != 0 || parent.row() >= answerCount()) return {};
    if (row >= m_answers[parent.row()].citations.size()) return {};
    return createIndex(row, column, quintptr(parent.row() + 1));
}

QModelIndex CitationsModel::parent(const QModelIndex& child) const {
    if (!child.isValid() || child.internalId() == 0) return {};
    return createIndex(int(child.internalId()) - 1, 0, quintptr(0));
}

int CitationsModel::rowCount(const QModelIndex& parent) const {
    if (!parent.isValid()) return answerCount();
    if (parent.internalId() != 0 || parent.column() != 0) return 0;
    return int(m_answers[parent.row()].citations.size());
}

int CitationsModel::columnCount(const QModelIndex&) const { return ColumnCount; }

QVariant CitationsModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid()) return {};
    if (index.internalId() == 0) {
        const Answer& a = m_answers.at(index.row());
        if (role == Qt::DisplayRole && index.column() == TagColumn)
            return tr("Answer %1 — %2").arg(index.row() + 1).arg(a.question);
        if (role == Qt::DisplayRole && index.column() == StatusColumn)
            return tr("%n citation(s)", nullptr, int(a.citations.size()));
        if (role == Qt::ToolTipRole) return a.question;
        if (role == TurnRole) return index.row();
        return {};
    }
    const m1::app::Citation* c = citation(index);
    if (!c) return {};
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case TagColumn: return c->tag;
        case QuoteColumn: return c->quote.isEmpty() ? tr("(no quote)") : QStringLiteral("“%1”").arg(c->quote);
        case LocationColumn: return c->locationText;
        case StatusColumn: return m1::app::statusName(c->status);
        }
        return {};
    case Qt::BackgroundRole:
        return index.column() == StatusColumn ? QVariant(statusColor(c->status)) : QVariant();
    case Qt::ForegroundRole:
        return index.column() == StatusColumn ? QVariant(statusTextColor(c->status)) : QVariant();
    case Qt::ToolTipRole: return c->note.isEmpty() ? c->raw : c->raw + QStringLiteral("\n") + c->note;
    case TurnRole: return int(index.internalId()) - 1;
    case CitationIndexRole: return index.row();
    case StatusRole: return int(c->status);
    default: return {};
    }
}

QVariant CitationsModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case TagColumn: return tr("Source");
    case QuoteColumn: return tr("Quote");
    case LocationColumn: return tr("Location");
    case StatusColumn: return tr("Status");
    }
    return {};
}

}  // namespace m1::ui
