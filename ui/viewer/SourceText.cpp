#include "ui/viewer/SourceText.h"

#include <map>

namespace m1::ui {
namespace {

// Lines of `file`, placed by their anchors; gaps (lines no segment holds) stay empty.
QString fileText(const m1::ingest::source& src, const std::string& file, bool* found) {
    std::map<int, QString> lines;
    for (const m1::ingest::segment& s : src.segments) {
        if (s.where.file != file || s.where.line_start <= 0) continue;
        *found = true;
        const QStringList parts = QString::fromStdString(s.text).split(QLatin1Char('\n'));
        for (qsizetype i = 0; i < parts.size() && s.where.line_start + i <= s.where.line_end; ++i)
            lines.emplace(s.where.line_start + int(i), parts[i]);
    }
    QStringList out;
    const int last = lines.empty() ? 0 : lines.rbegin()->first;
    for (int n = 1; n <= last; ++n) {
        auto it = lines.find(n);
        out.append(it == lines.end() ? QString() : it->second);
    }
    return out.join(QLatin1Char('\n'));
}

}  // namespace

SourceText sourceTextFor(const m1::ingest::source& src, const m1::app::Citation& c) {
    SourceText out;
    out.title = QString::fromStdString(src.title);
    if (c.location == m1::app::Citation::Location::Lines) {
        std::string file = c.file.toStdString();
        if (file.empty()) {
            for (const auto& s : src.segments)
                if (!s.where.file.empty()) {
                    file = s.where.file;
                    break;
                }
        }
        out.text = fileText(src, file, &out.found);
        if (!c.file.isEmpty()) out.title = c.file;
        out.lineFirst = c.lineFirst;
        out.lineLast = qMax(c.lineFirst, c.lineLast);
        return out;
    }
    // The document, segment after segment; the cited clause's (or page's) lines are highlighted.
    QStringList blocks;
    int line = 1;
    for (const auto& s : src.segments) {
        const QString text = QString::fromStdString(s.text).trimmed();
        const int lines = int(text.count(QLatin1Char('\n'))) + 1;
        const bool cited = (c.location == m1::app::Citation::Location::Clause && !c.clause.isEmpty() &&
                            QString::fromStdString(s.where.clause) == c.clause) ||
                           (c.location == m1::app::Citation::Location::Page && c.pageFirst > 0 && s.where.page >= c.pageFirst &&
                            s.where.page <= qMax(c.pageFirst, c.pageLast));
        if (cited && !out.found) {
            out.found = true;
            out.lineFirst = line;
        }
        if (cited) out.lineLast = line + lines - 1;
        blocks.append(text);
        line += lines + 1;  // a blank line between segments
    }
    out.text = blocks.join(QStringLiteral("\n\n"));
    return out;
}

}  // namespace m1::ui
