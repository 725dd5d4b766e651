// DOCX contracts (Office Open XML, read with libzip + pugixml): the body's paragraphs in order, list numbering from
// numbering.xml rendered as labels in front of the text ("1.1 ...", "(a) ..."), headings from the paragraph styles,
// and tables as text (one paragraph per row, cells separated by " | "). The paragraphs are then cut into clauses
// by ingest/contract (clause labels, defined terms, parties, dates); source.kind is docx.
//
// Numbering follows Word's rules closely enough for contracts: counters per list (numId) and level, deeper levels
// restart when a shallower one advances, w:start and w:startOverride are honoured; formats decimal, lower/upper
// letter, lower/upper roman (others render as decimal; bullets render as their symbol and never become labels).
// Deleted text (tracked changes) is left out; inserted text is kept.
// Thread-safety: read_docx may be called from several threads at once.
#pragma once

#include "ingest/contract/clause_segmenter.h"
#include "ingest/core/source.h"

#include <string>
#include <vector>

namespace m1::ingest {

// The paragraphs of a DOCX as the clause segmenter sees them (exposed for tests).
// Throws ingest_error naming the file: cannot be opened, not a (sound) zip archive ("not a DOCX"), no word/document.xml,
// XML that does not parse (with the part and offset).
std::vector<contract_paragraph> read_docx_paragraphs(const std::string& path);

// Reads a DOCX contract into clause segments (anchor.clause). Title from docProps/core.xml when present.
source read_docx(const std::string& path);

}  // namespace m1::ingest
