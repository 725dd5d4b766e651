// Where the viewer goes: for a citation into a source (a PDF page with the quote to highlight, or a file's lines),
// and for a source or one of its files picked in the Sources pane. Pure functions of the read source.
#pragma once

#include "app/citations/Citation.h"
#include "ingest/core/source.h"
#include "ui/viewer/ViewerPane.h"

namespace m1::ui {

// PDF sources open at the cited page (a clause's page for contracts) with the quote to highlight; everything else
// opens as text with the cited lines (or the clause's lines) highlighted.
ViewerLocation locationForCitation(const m1::ingest::source& src, const m1::app::Citation& citation);

// A PDF opens at page 1; a repository or folder at `file` (its first file when empty); other sources as text.
ViewerLocation locationForSource(const m1::ingest::source& src, const QString& file);

}  // namespace m1::ui
