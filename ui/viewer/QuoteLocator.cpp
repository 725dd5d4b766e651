#include "ui/viewer/QuoteLocator.h"

#include <QRegularExpression>

namespace m1::ui {
namespace {

QString normalizeWord(const QString& w) {
    qsizetype a = 0, b = w.size();
    while (a < b && !w[a].isLetterOrNumber()) ++a;
    while (b > a && !w[b - 1].isLetterOrNumber()) --b;
    return w.mid(a, b - a).toCaseFolded();
}

}  // namespace

QList<QRectF> mergeByLine(const QList<QRectF>& rects) {
    QList<QRectF> out;
    for (const QRectF& r : rects) {
        if (!out.isEmpty()) {
            QRectF& last = out.last();
            if (qAbs(last.center().y() - r.center().y()) < qMax(last.height(), r.height()) / 2) {
                last = last.united(r);
                continue;
            }
        }
        out.append(r);
    }
    return out;
}

QList<QRectF> locateQuote(const QList<WordBox>& words, const QString& quote) {
    QStringList wanted;
    for (const QString& w : quote.split(QRegularExpression(QStringLiteral("\\s+")), Qt::SkipEmptyParts)) {
        const QString n = normalizeWord(w);
        if (!n.isEmpty()) wanted.append(n);
    }
    if (wanted.isEmpty()) return {};

    // Page words, normalised, with hyphenated line-end pieces joined to the next word (both keep their boxes).
    struct Token {
        QString text;
        QList<QRectF> rects;
    };
    QList<Token> tokens;
    for (qsizetype i = 0; i < words.size(); ++i) {
        const QString& raw = words[i].text;
        if (raw.endsWith(QLatin1Char('-')) && raw.size() > 1 && i + 1 < words.size()) {
            tokens.append({normalizeWord(raw.chopped(1) + words[i + 1].text), {words[i].rect, words[i + 1].rect}});
            ++i;
            continue;
        }
        const QString n = normalizeWord(raw);
        if (!n.isEmpty()) tokens.append({n, {words[i].rect}});
    }

    qsizetype bestStart = -1, bestLength = 0;
    for (qsizetype s = 0; s < tokens.size(); ++s) {
        for (qsizetype q = 0; q < wanted.size(); ++q) {
            qsizetype k = 0;
            while (s + k < tokens.size() && q + k < wanted.size() && tokens[s + k].text == wanted[q + k]) ++k;
            if (k > bestLength) {
                bestLength = k;
                bestStart = s;
            }
            if (k == wanted.size()) break;
        }
        if (bestLength == wanted.size()) break;
    }
    const qsizetype needed = qMin<qsizetype>(3, wanted.size());
    if (bestStart < 0 || bestLength < needed) return {};
    QList<QRectF> rects;
    for (qsizetype i = bestStart; i < bestStart + bestLength; ++i) rects.append(tokens[i].rects);
    return mergeByLine(rects);
}

}  // namespace m1::ui
