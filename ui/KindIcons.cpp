#include "ui/KindIcons.h"

#include <QHash>
#include <QPainter>
#include <QPainterPath>
#include <QPixmap>

namespace m1::ui {
namespace {

QPixmap badge(const QColor& colour, const QString& label, bool folder) {
    QPixmap pm(32, 32);
    pm.fill(Qt::transparent);
    QPainter p(&pm);
    p.setRenderHint(QPainter::Antialiasing);
    QPainterPath path;
    if (folder) {
        path.moveTo(3, 9);
        path.lineTo(12, 9);
        path.lineTo(15, 12);
        path.lineTo(29, 12);
        path.lineTo(29, 27);
        path.lineTo(3, 27);
        path.closeSubpath();
    } else {
        // A page with a folded corner.
        path.moveTo(6, 2);
        path.lineTo(20, 2);
        path.lineTo(27, 9);
        path.lineTo(27, 30);
        path.lineTo(6, 30);
        path.closeSubpath();
    }
    p.fillPath(path, colour);
    if (!folder) p.fillRect(QRectF(20, 2, 7, 7), colour.lighter(140));
    if (!label.isEmpty()) {
        QFont f = p.font();
        f.setPixelSize(label.size() > 3 ? 7 : 9);
        f.setBold(true);
        p.setFont(f);
        p.setPen(Qt::white);
        p.drawText(QRectF(4, 12, 25, 14), Qt::AlignCenter, label);
    }
    return pm;
}

}  // namespace

QIcon kindIcon(const QString& kind) {
    static QHash<QString, QIcon> cache;
    auto it = cache.find(kind);
    if (it != cache.end()) return *it;
    QIcon icon;
    if (kind == QLatin1String("pdf")) icon = QIcon(badge(QColor(0xd1, 0x43, 0x3b), QStringLiteral("PDF"), false));
    else if (kind == QLatin1String("docx")) icon = QIcon(badge(QColor(0x2b, 0x5d, 0xb8), QStringLiteral("DOC"), false));
    else if (kind == QLatin1String("git")) icon = QIcon(badge(QColor(0xe0, 0x6c, 0x1b), QStringLiteral("GIT"), false));
    else if (kind == QLatin1String("folder")) icon = QIcon(badge(QColor(0xc9, 0xa2, 0x27), QString(), true));
    else if (kind == QLatin1String("text")) icon = QIcon(badge(QColor(0x4a, 0x8a, 0x5c), QStringLiteral("TXT"), false));
    else icon = QIcon(badge(QColor(0x80, 0x88, 0x94), QString(), false));
    cache.insert(kind, icon);
    return icon;
}

QColor statusColor(m1::app::Citation::Status status) {
    using S = m1::app::Citation::Status;
    switch (status) {
    case S::Verified: return QColor(0xd6, 0xf0, 0xdc);
    case S::Unverified: return QColor(0xfc, 0xec, 0xc7);
    case S::Unresolvable: return QColor(0xf8, 0xd7, 0xd5);
    case S::Pending: break;
    }
    return QColor(0xe4, 0xe7, 0xeb);
}

QColor statusTextColor(m1::app::Citation::Status status) {
    using S = m1::app::Citation::Status;
    switch (status) {
    case S::Verified: return QColor(0x1d, 0x6b, 0x33);
    case S::Unverified: return QColor(0x8a, 0x5a, 0x00);
    case S::Unresolvable: return QColor(0xa3, 0x22, 0x1b);
    case S::Pending: break;
    }
    return QColor(0x44, 0x4c, 0x56);
}

}  // namespace m1::ui
