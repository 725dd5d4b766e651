#include "app/citations/CitationParser.h"

#include <QRegularExpression>

namespace m1::app {
namespace {

// A citation is at most this long; an unclosed '[' further back than this no longer holds back the stream.
constexpr qsizetype kMaxCitationLength = 600;

const QRegularExpression& bodyPattern() {
    // TAG  LOCATION  [:] ["QUOTE"]
    static const QRegularExpression re(QStringLiteral(
        "^\\s*([SRCT]\\d{1,4})\\s+([^\"\u201c\u201d]+?)\\s*(?::\\s*)?(?:[\"\u201c](.*)[\"\u201d])?\\s*$"),
        QRegularExpression::DotMatchesEverythingOption);
    return re;
}

bool parseRange(const QString& text, int* first, int* last) {
    static const QRegularExpression re(QStringLiteral("^(\\d{1,7})(?:\\s*[-\u2013]\\s*(\\d{1,7}))?$"));
    const QRegularExpressionMatch m = re.match(text.trimmed());
    if (!m.hasMatch()) return false;
    *first = m.captured(1).toInt();
    *last = m.capturedLength(2) ? m.captured(2).toInt() : *first;
    return *first > 0 && *last >= *first;
}

bool parseLocation(const QString& location, Citation* c) {
    const QString loc = location.trimmed();
    static const QRegularExpression page(QStringLiteral("^(?:pp?\\.|pages?)\\s*(.+)$"),
                                         QRegularExpression::CaseInsensitiveOption);
    static const QRegularExpression lines(QStringLiteral("^(?:L|lines?\\s+)(\\d.*)$"));
    static const QRegularExpression clause(
        QStringLiteral("^(?:\u00a7\\s*(.+)|((?:Article|Art\\.|Section|Sec\\.|Clause|Schedule)\\s+\\S.*))$"),
        QRegularExpression::CaseInsensitiveOption);
    if (const auto m = page.match(loc); m.hasMatch()) {
        c->location = Citation::Location::Page;
        return parseRange(m.captured(1), &c->pageFirst, &c->pageLast);
    }
    if (const auto m = clause.match(loc); m.hasMatch()) {
        c->location = Citation::Location::Clause;
        c->clause = (m.capturedLength(1) ? m.captured(1) : m.captured(2)).trimmed();
        return !c->clause.isEmpty();
    }
    if (const auto m = lines.match(loc); m.hasMatch()) {
        c->location = Citation::Location::Lines;
        return parseRange(m.captured(1), &c->lineFirst, &c->lineLast);
    }
    // file:lines — the last ':' separates the path (which may itself contain ':') from the range.
    const qsizetype colon = loc.lastIndexOf(QLatin1Char(':'));
    if (colon > 0) {
        c->location = Citation::Location::Lines;
        c->file = loc.left(colon).trimmed();
        return !c->file.contains(QLatin1Char(' ')) && parseRange(loc.mid(colon + 1), &c->lineFirst, &c->lineLast);
    }
    return false;
}

}  // namespace

QString statusName(Citation::Status status) {
    switch (status) {
    case Citation::Status::Pending: return QStringLiteral("pending");
    case Citation::Status::Verified: return QStringLiteral("verified");
    case Citation::Status::Unverified: return QStringLiteral("unverified");
    case Citation::Status::Unresolvable: return QStringLiteral("unresolvable");
    }
    return {};
}

bool CitationParser::parseBody(const QString& body, Citation* out) {
    const QRegularExpressionMatch m = bodyPattern().match(body);
    if (!m.hasMatch()) return false;
    Citation c;
    c.tag = m.captured(1);
    c.locationText = m.captured(2).trimmed();
    if (c.locationText.endsWith(QLatin1Char(':'))) c.locationText.chop(1);
    c.quote = m.captured(3).trimmed();
    if (!parseLocation(c.locationText, &c)) return false;
    *out = c;
    return true;
}

QList<Citation> CitationParser::parse(const QString& text) {
    CitationParser parser;
    QList<Citation> found = parser.feed(text);
    // At the end of the text nothing is held back: a final unclosed '[' is simply not a citation.
    return found;
}

QList<Citation> CitationParser::feed(const QString& delta) {
    m_text += delta;
    QList<Citation> found;
    qsizetype pos = m_scanned;
    while (true) {
        const qsizetype open = m_text.indexOf(QLatin1Char('['), pos);
        if (open < 0) {
            m_scanned = m_text.size();
            break;
        }
        // A nested '[' restarts the candidate: citations contain no brackets.
        qsizetype close = -1;
        qsizetype i = open + 1;
        for (; i < m_text.size() && i - open <= kMaxCitationLength; ++i) {
            const QChar ch = m_text.at(i);
            if (ch == QLatin1Char(']')) {
                close = i;
                break;
            }
            if (ch == QLatin1Char('[')) break;
        }
        if (close < 0) {
            const bool incomplete = i >= m_text.size() && i - open <= kMaxCitationLength;
            if (incomplete) {  // wait for more text
                m_scanned = open;
                break;
            }
            pos = i;  // too long or restarted at a nested '['
            continue;
        }
        Citation c;
        if (parseBody(m_text.mid(open + 1, close - open - 1), &c)) {
            c.offset = open;
            c.length = close - open + 1;
            c.raw = m_text.mid(open, c.length);
            found.append(c);
        }
        pos = close + 1;
        m_scanned = pos;
    }
    return found;
}

}  // namespace m1::app
