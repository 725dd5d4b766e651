#include "app/citations/CitationVerifier.h"

#include <QRegularExpression>
#include <QStringList>

#include <algorithm>
#include <map>
#include <vector>

namespace m1::app {
namespace {

using m1::ingest::segment;
using m1::ingest::source;

QString clauseKey(QString label) {
    label = label.trimmed().toCaseFolded();
    label.remove(QChar(0x00a7));
    label.remove(QLatin1Char(' '));
    while (label.endsWith(QLatin1Char('.'))) label.chop(1);
    return label;
}

// Is `label` the cited clause or one of its sub-clauses (12 covers 12.3 and 12(a))?
bool clauseMatches(const QString& cited, const std::string& label) {
    const QString key = clauseKey(QString::fromStdString(label));
    if (key.isEmpty()) return false;
    if (key == cited) return true;
    return key.startsWith(cited) && key.size() > cited.size() &&
           (key.at(cited.size()) == QLatin1Char('.') || key.at(cited.size()) == QLatin1Char('('));
}

QString normalizedPath(QString p) {
    p = p.trimmed();
    while (p.startsWith(QStringLiteral("./"))) p = p.mid(2);
    return p;
}

// Lines [first, last] of a file, gathered from the segments that hold them.
QString linesOf(const source& src, const QString& file, int first, int last, int* fileLastLine) {
    QString out;
    *fileLastLine = 0;
    for (const segment& s : src.segments) {
        if (!file.isEmpty() && normalizedPath(QString::fromStdString(s.where.file)) != file) continue;
        *fileLastLine = std::max(*fileLastLine, s.where.line_end);
        if (s.where.line_end < first || s.where.line_start > last) continue;
        const QStringList lines = QString::fromStdString(s.text).split(QLatin1Char('\n'));
        for (int i = 0; i < lines.size(); ++i) {
            const int n = s.where.line_start + i;
            if (n >= first && n <= last && n <= s.where.line_end) out += lines[i] + QLatin1Char('\n');
        }
    }
    return out;
}

}  // namespace

void CitationVerifier::addSource(const QString& tag, const source* src) { m_sources.insert(tag, src); }

QString CitationVerifier::normalize(const QString& text) {
    QString t = text;
    // Line-end hyphenation: "exam-\nple" reads "example".
    static const QRegularExpression hyphenated(QStringLiteral("(\\w)-\\s*\\n\\s*(\\w)"),
                                               QRegularExpression::UseUnicodePropertiesOption);
    t.replace(hyphenated, QStringLiteral("\\1\\2"));
    t = t.toCaseFolded();
    QString out;
    out.reserve(t.size());
    bool space = false;
    for (QChar ch : t) {
        switch (ch.unicode()) {
        case 0x201c: case 0x201d: case 0x201e: case 0x00ab: case 0x00bb: ch = QLatin1Char('"'); break;
        case 0x2018: case 0x2019: case 0x201a: ch = QLatin1Char('\''); break;
        case 0x2010: case 0x2011: case 0x2012: case 0x2013: case 0x2014: case 0x2212: ch = QLatin1Char('-'); break;
        case 0x00ad: continue;  // soft hyphen
        default: break;
        }
        if (ch.isSpace()) {
            space = !out.isEmpty();
            continue;
        }
        if (space) out += QLatin1Char(' ');
        space = false;
        out += ch;
    }
    return out;
}

int CitationVerifier::approximateDistance(const QString& needle, const QString& haystack) {
    const qsizetype m = needle.size();
    if (m == 0) return 0;
    // Column j holds the best distance of needle[0..i) against a substring ending at haystack[j).
    std::vector<int> prev(m + 1), cur(m + 1);
    for (qsizetype i = 0; i <= m; ++i) prev[i] = int(i);
    int best = int(m);
    for (qsizetype j = 1; j <= haystack.size(); ++j) {
        cur[0] = 0;  // a match may start anywhere
        for (qsizetype i = 1; i <= m; ++i) {
            const int subst = prev[i - 1] + (needle.at(i - 1) == haystack.at(j - 1) ? 0 : 1);
            cur[i] = std::min({subst, prev[i] + 1, cur[i - 1] + 1});
        }
        best = std::min(best, cur[m]);
        std::swap(prev, cur);
    }
    return best;
}

CitationVerifier::Target CitationVerifier::resolve(const Citation& c) const {
    Target t;
    const source* src = m_sources.value(c.tag, nullptr);
    if (!src) {
        t.why = QStringLiteral("no source tagged %1 in the context").arg(c.tag);
        return t;
    }
    switch (c.location) {
    case Citation::Location::Page: {
        int pages = 0;
        for (const segment& s : src->segments) {
            pages = std::max(pages, s.where.page);
            if (s.where.page >= c.pageFirst && s.where.page <= c.pageLast) t.text += QString::fromStdString(s.text) + QLatin1Char('\n');
        }
        if (pages == 0) t.why = QStringLiteral("%1 has no pages").arg(c.tag);
        else if (c.pageLast > pages) t.why = QStringLiteral("no page %1 in %2 (%3 pages)").arg(c.pageLast).arg(c.tag).arg(pages);
        break;
    }
    case Citation::Location::Lines: {
        const QString file = normalizedPath(c.file);
        int last = 0;
        t.text = linesOf(*src, file, c.lineFirst, c.lineLast, &last);
        if (last == 0) t.why = QStringLiteral("no file %1 in %2").arg(file, c.tag);
        else if (c.lineLast > last)
            t.why = QStringLiteral("%1 has %2 lines, the citation names %3-%4")
                        .arg(file.isEmpty() ? c.tag : file).arg(last).arg(c.lineFirst).arg(c.lineLast);
        break;
    }
    case Citation::Location::Clause: {
        const QString key = clauseKey(c.clause);
        for (const segment& s : src->segments)
            if (clauseMatches(key, s.where.clause)) t.text += QString::fromStdString(s.text) + QLatin1Char('\n');
        if (t.text.isEmpty()) t.why = QStringLiteral("no clause %1 in %2").arg(c.clause, c.tag);
        break;
    }
    }
    t.resolved = t.why.isEmpty();
    if (!t.resolved) t.text.clear();
    return t;
}

QString CitationVerifier::citedText(const Citation& c) const { return resolve(c).text; }

QString CitationVerifier::whereElse(const Citation& c, const source& src, const QString& quote) const {
    // Group the source's text by place and look for the quote in each.
    std::map<QString, QString> places;  // label -> normalised text
    for (const segment& s : src.segments) {
        QString label;
        if (c.location == Citation::Location::Page) label = QStringLiteral("p.%1").arg(s.where.page);
        else if (c.location == Citation::Location::Clause) label = QStringLiteral("\u00a7%1").arg(QString::fromStdString(s.where.clause));
        else label = QStringLiteral("%1:%2-%3").arg(QString::fromStdString(s.where.file)).arg(s.where.line_start).arg(s.where.line_end);
        places[label] += QString::fromStdString(s.text) + QLatin1Char('\n');
    }
    for (const auto& [label, text] : places)
        if (normalize(text).contains(quote)) return label;
    return {};
}

void CitationVerifier::verify(Citation& c) const {
    const Target target = resolve(c);
    if (!target.resolved) {
        c.status = Citation::Status::Unresolvable;
        c.note = target.why;
        return;
    }
    const QString quote = normalize(c.quote);
    if (quote.isEmpty()) {
        c.status = Citation::Status::Unverified;
        c.note = QStringLiteral("no quote to check");
        return;
    }
    const QString haystack = normalize(target.text);
    if (haystack.contains(quote)) {
        c.status = Citation::Status::Verified;
        c.note.clear();
        return;
    }
    if (quote.size() >= 12) {
        const int edits = approximateDistance(quote, haystack);
        if (edits <= std::max<qsizetype>(1, quote.size() / 10)) {
            c.status = Citation::Status::Verified;
            c.note = QStringLiteral("approximate match (%1 edit%2)").arg(edits).arg(edits == 1 ? "" : "s");
            return;
        }
    }
    c.status = Citation::Status::Unverified;
    const QString elsewhere = whereElse(c, *m_sources.value(c.tag), quote);
    c.note = elsewhere.isEmpty() ? QStringLiteral("quote not found in %1").arg(c.tag)
                                 : QStringLiteral("quote not at %1 but at %2").arg(c.locationText, elsewhere);
}

void CitationVerifier::verifyAll(QList<Citation>& citations) const {
    for (Citation& c : citations) verify(c);
}

}  // namespace m1::app
