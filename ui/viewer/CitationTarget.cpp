#include "ui/viewer/CitationTarget.h"

#include "ui/viewer/SourceText.h"

#include <QCoreApplication>

#include <algorithm>

namespace m1::ui {
namespace {

QString tr(const char* text) { return QCoreApplication::translate("m1::ui::CitationTarget", text); }

}  // namespace

ViewerLocation locationForCitation(const m1::ingest::source& src, const m1::app::Citation& c) {
    ViewerLocation l;
    int page = 0;
    if (src.kind == m1::ingest::source_kind::pdf) {
        if (c.location == m1::app::Citation::Location::Page) page = c.pageFirst;
        if (c.location == m1::app::Citation::Location::Clause)
            for (const auto& s : src.segments)
                if (QString::fromStdString(s.where.clause) == c.clause && s.where.page > 0) {
                    page = s.where.page;
                    break;
                }
    }
    if (page > 0) {
        l.kind = ViewerLocation::Kind::Pdf;
        l.file = QString::fromStdString(src.path);
        l.page = page;
        l.quote = c.quote;
        l.title = tr("%1 · %2 · page %3").arg(c.tag, QString::fromStdString(src.title)).arg(page);
        return l;
    }
    const SourceText st = sourceTextFor(src, c);
    l.kind = ViewerLocation::Kind::Text;
    l.text = st.text;
    l.lineFirst = st.lineFirst;
    l.lineLast = st.lineLast;
    l.title = tr("%1 · %2").arg(c.tag, st.title);
    return l;
}

ViewerLocation locationForSource(const m1::ingest::source& src, const QString& file) {
    ViewerLocation l;
    if (src.kind == m1::ingest::source_kind::pdf) {
        l.kind = ViewerLocation::Kind::Pdf;
        l.file = QString::fromStdString(src.path);
        l.page = 1;
        l.title = QString::fromStdString(src.title);
        return l;
    }
    m1::app::Citation c;
    c.file = file;
    const bool filed = std::any_of(src.segments.begin(), src.segments.end(), [](const auto& s) { return !s.where.file.empty(); });
    if (filed && c.file.isEmpty())
        for (const auto& s : src.segments)
            if (!s.where.file.empty()) {
                c.file = QString::fromStdString(s.where.file);
                break;
            }
    // Files by their lines; documents without files (DOCX) whole, nothing highlighted (an empty clause cites none).
    c.location = filed ? m1::app::Citation::Location::Lines : m1::app::Citation::Location::Clause;
    const SourceText st = sourceTextFor(src, c);
    l.kind = ViewerLocation::Kind::Text;
    l.text = st.text;
    l.title = c.file.isEmpty() ? QString::fromStdString(src.title) : c.file;
    return l;
}

}  // namespace m1::ui
