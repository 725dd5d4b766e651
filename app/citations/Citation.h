// Citations as the model writes them in an answer: a bracketed source tag, a location and an optional short quote.
//
//   [S2 p.14 "quoted words"]            a page of a document (pp.14-15 for a page range)
//   [R1 src/io.c:120-134 "quoted code"] lines of a file in a repository (src/io.c:120 for one line)
//   [C1 §12.3(a) "quoted words"]        a clause of a contract (also "Article IV", "Section 5")
//   [T3 L10-12 "quoted words"]          lines of a single text file
//
// Tags name a source of the context: S documents (PDF), C contracts, R repositories, T text files; the context
// builder assigns them and tells the model this format. Quotes may use straight or curly double quotes and may be
// separated from the location by a colon.
#pragma once

#include <QList>
#include <QString>

namespace m1::app {

struct Citation {
    enum class Location { Page, Lines, Clause };
    enum class Status { Pending, Verified, Unverified, Unresolvable };

    // Where it stands in the answer text (UTF-16 offsets into the QString that was parsed).
    qsizetype offset = 0;
    qsizetype length = 0;
    QString raw;  // the whole bracketed text

    QString tag;          // "S2"
    QString locationText; // "p.14", "src/io.c:120-134", "§12.3(a)" as written
    QString quote;        // empty when the model gave none
    Location location = Location::Page;
    int pageFirst = 0, pageLast = 0;    // Page
    QString file;                       // Lines (empty for T sources: the source is the file)
    int lineFirst = 0, lineLast = 0;    // Lines
    QString clause;                     // Clause, without a leading "§"

    // Filled by the verifier.
    Status status = Status::Pending;
    QString note;  // why: "quote found at p.15", "no page 40 in S2 (12 pages)", "approximate match (2 edits)"
};

QString statusName(Citation::Status status);  // "verified", "unverified", "unresolvable", "pending"

}  // namespace m1::app
