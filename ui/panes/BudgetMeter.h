// The context budget as a bar: the included sources' tokens against the model's context, with the part reserved
// for the output (reasoning + answer) drawn at the right end. Turns amber above 90 % and red over budget.
#pragma once

#include <QWidget>

namespace m1::ui {

class BudgetMeter : public QWidget {
    Q_OBJECT
public:
    explicit BudgetMeter(QWidget* parent = nullptr);

    void setValues(qint64 used, qint64 contextTokens, qint64 outputReserve);
    qint64 used() const { return m_used; }
    qint64 contextTokens() const { return m_context; }
    qint64 outputReserve() const { return m_reserve; }
    qint64 available() const { return m_context - m_reserve; }
    bool overBudget() const { return m_used > available(); }
    QString text() const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    qint64 m_used = 0;
    qint64 m_context = 1000000;
    qint64 m_reserve = 40960;
};

}  // namespace m1::ui
