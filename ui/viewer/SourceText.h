// The text the viewer shows for a citation into a text file, a repository file or a contract clause, rebuilt from
// the source's anchored segments (a repository is read at a commit, so the file on disk may differ or not exist).
#pragma once

#include "app/citations/Citation.h"
#include "ingest/core/source.h"

#include <QString>

namespace m1::ui {

struct SourceText {
    QString title;      // "src/io.c" or the source's title
    QString text;       // the whole file (or the whole document, segments one after the other)
    int lineFirst = 0;  // 1-based lines to highlight; 0 when nothing is
    int lineLast = 0;
    bool found = false; // the cited file or clause exists in the source
};

// For Lines citations: the file (c.file, or the only file of a T source) with c.lineFirst..c.lineLast.
// For Clause citations: the document with the clause's lines. Page citations of non-PDF sources: the document.
SourceText sourceTextFor(const m1::ingest::source& src, const m1::app::Citation& citation);

}  // namespace m1::ui
