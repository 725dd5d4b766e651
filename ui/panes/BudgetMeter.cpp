#include "ui/panes/BudgetMeter.h"

#include <QLocale>
#include <QPainter>
#include <QPainterPath>

namespace m1::ui {

BudgetMeter::BudgetMeter(QWidget* parent) : QWidget(parent) {
    setAccessibleName(tr("Context budget"));
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    setValues(0, m_context, m_reserve);
}

void BudgetMeter::setValues(qint64 used, qint64 contextTokens, qint64 outputReserve) {
    m_used = used;
    m_context = qMax<qint64>(1, contextTokens);
    m_reserve = qBound<qint64>(0, outputReserve, m_context);
    setAccessibleDescription(text());
    setToolTip(text());
    update();
}

QString BudgetMeter::text() const {
    const QLocale l;
    const double pct = 100.0 * double(m_used) / double(qMax<qint64>(1, available()));
    QString s = tr("%1 of %2 tokens (%3 %) · %4 reserved for output")
                    .arg(l.toString(m_used), l.toString(available()), QString::number(pct, 'f', pct < 10 ? 1 : 0),
                         l.toString(m_reserve));
    if (overBudget()) s += tr(" · over budget by %1").arg(l.toString(m_used - available()));
    return s;
}

QSize BudgetMeter::sizeHint() const { return {280, fontMetrics().height() + 22}; }
QSize BudgetMeter::minimumSizeHint() const { return {120, fontMetrics().height() + 22}; }

void BudgetMeter::paintEvent(QPaintEvent*) {
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QRectF bar(1, 2, width() - 2, 10);
    QPainterPath clip;
    clip.addRoundedRect(bar, 5, 5);
    p.fillPath(clip, QColor(0xe5, 0xe7, 0xeb));
    p.save();
    p.setClipPath(clip);
    const double perToken = bar.width() / double(m_context);
    const double reserveW = double(m_reserve) * perToken;
    const QRectF reserve(bar.right() - reserveW, bar.top(), reserveW, bar.height());
    p.fillRect(reserve, QBrush(QColor(0x9c, 0xa3, 0xaf), Qt::BDiagPattern));
    const double ratio = double(m_used) / double(qMax<qint64>(1, available()));
    const QColor fill = ratio > 1.0 ? QColor(0xdc, 0x26, 0x26) : ratio > 0.9 ? QColor(0xf5, 0x9e, 0x0b) : QColor(0x25, 0x63, 0xeb);
    p.fillRect(QRectF(bar.left(), bar.top(), qMin(bar.width(), double(m_used) * perToken), bar.height()), fill);
    p.restore();
    p.setPen(QColor(0x4b, 0x55, 0x63));
    const QLocale l;
    const QString left = tr("%1 / %2 tokens").arg(l.toString(m_used), l.toString(available()));
    const QString right = tr("output reserve %1").arg(l.toString(m_reserve));
    const QRectF textRect(1, bar.bottom() + 3, width() - 2, fontMetrics().height() + 2);
    p.drawText(textRect, Qt::AlignLeft | Qt::AlignVCenter, left);
    p.setPen(QColor(0x8a, 0x90, 0x99));
    if (fontMetrics().horizontalAdvance(left + right) + 20 < width()) p.drawText(textRect, Qt::AlignRight | Qt::AlignVCenter, right);
}

}  // namespace m1::ui
