// Finds a quoted passage among a PDF page's words (Poppler's text boxes) and returns the rectangles to highlight,
// one per line of text the passage covers. Pure function over plain values, so it is tested without Poppler.
// Coordinates are whatever the words use (points from the top-left of the page, in the viewer).
#pragma once

#include <QList>
#include <QRectF>
#include <QString>

namespace m1::ui {

struct WordBox {
    QString text;
    QRectF rect;
};

// Words are compared case-insensitively with punctuation stripped at both ends; a word hyphenated across a line end
// ("docu-" + "ment") matches the whole word. Returns the words of the first complete run of the quote's words; when
// there is none, the longest run of at least three (or all, if shorter) consecutive quote words; else nothing.
QList<QRectF> locateQuote(const QList<WordBox>& words, const QString& quote);

// Unites the rectangles of words on the same line (vertical centres within half a line height of each other).
QList<QRectF> mergeByLine(const QList<QRectF>& rects);

}  // namespace m1::ui
