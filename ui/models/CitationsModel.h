// The Citations pane's item model: per answer, each citation's tag, quote, location and verification status.
//
//   Answer 1 — "Which clause limits …"
//     └ S1 | "liability shall not exceed" | p.14 | verified
// GUI thread only.
#pragma once

#include "app/citations/Citation.h"

#include <QAbstractItemModel>

namespace m1::ui {

class CitationsModel : public QAbstractItemModel {
    Q_OBJECT
public:
    enum Column { TagColumn, QuoteColumn, LocationColumn, StatusColumn, ColumnCount };
    enum Role { TurnRole = Qt::UserRole + 1, CitationIndexRole, StatusRole };

    explicit CitationsModel(QObject* parent = nullptr);

    void addAnswer(const QString& question);
    void addCitation(int answer, const m1::app::Citation& citation);
    // The final list of an answer (verified by the session), replacing what streamed in.
    void setCitations(int answer, const QList<m1::app::Citation>& citations);
    void clear();

    int answerCount() const { return int(m_answers.size()); }
    // The citation at `index` (a child row), or nullptr for an answer row.
    const m1::app::Citation* citation(const QModelIndex& index) const;
    QModelIndex citationIndex(int answer, int citation) const;

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    struct Answer {
        QString question;
        QList<m1::app::Citation> citations;
    };
    QList<Answer> m_answers;
};

}  // namespace m1::ui
