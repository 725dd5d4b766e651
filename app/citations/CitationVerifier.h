// Resolves citations to the anchored segments of the context's sources and checks that the quoted words are there.
//
// A citation is
//   verified      when its quote is found at the cited place (case, whitespace, curly quotes, dashes and line-end
//                 hyphenation normalised; quotes of 12+ characters may differ by up to 10% edits);
//   unverified    when the place exists but the quote is not there (the note says where it was found instead, if
//                 anywhere in the same source), or when there is no quote to check;
//   unresolvable  when the tag names no source or the place does not exist in it.
// The verifier holds pointers to the sources; they must outlive it. verify() is const and thread-safe.
#pragma once

#include "app/citations/Citation.h"
#include "ingest/core/source.h"

#include <QHash>

namespace m1::app {

class CitationVerifier {
public:
    // `tag` as the context builder assigned it ("S1", "R2", ...).
    void addSource(const QString& tag, const m1::ingest::source* source);

    void verify(Citation& citation) const;
    void verifyAll(QList<Citation>& citations) const;

    // The text a citation points at (the cited pages, lines or clause), empty when unresolvable. For the viewer
    // and reports.
    QString citedText(const Citation& citation) const;

    // Exposed for tests: the normalisation both sides go through before comparing.
    static QString normalize(const QString& text);
    // Smallest number of edits that turns `needle` into some substring of `haystack` (Sellers' algorithm).
    static int approximateDistance(const QString& needle, const QString& haystack);

private:
    struct Target {
        bool resolved = false;
        QString why;   // when not resolved
        QString text;  // the cited text
    };
    Target resolve(const Citation& citation) const;
    QString whereElse(const Citation& citation, const m1::ingest::source& src, const QString& quote) const;

    QHash<QString, const m1::ingest::source*> m_sources;
};

}  // namespace m1::app
