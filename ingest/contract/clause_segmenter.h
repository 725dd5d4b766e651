// Contract structure, independent of the file format: cuts a contract's paragraphs into clause-anchored segments and
// finds the defined terms, parties and dates it states. No third-party library; pure functions, thread-safe.
//
// A paragraph starts a new clause when it begins with (first match wins):
//   "Article IV" / "ARTICLE 4"               label "Article IV" / "Article 4"
//   "Section 5" / "SECTION 5.2" / "§ 5"     label "Section 5" / "Section 5.2"
//   "1. ", "1.1 ", "12.3. ", "12.3(a) "     label "1", "1.1", "12.3", "12.3(a)" (a trailing period is dropped)
//   "(a) ", "(iv) ", "(2) "                  a sub-clause of the last numbered clause: "12.3(a)"; a roman numeral
//                                           after a letter (other than h -> i) nests: "12.3(a)(i)"
//   a heading (DOCX heading style, or a PDF line in capitals of at most 8 words)   label = the heading text
// Other paragraphs continue the current clause; text before any clause gets the label "Preamble". A clause that
// continues on the next page becomes a new segment with the same label (anchors name one page each).
//
// Defined terms: "X" means / shall mean / has the meaning ...; and parenthetical (the "X"), ("X"), (each a "X").
// Curly quotes count as quotes. Parties: the names around "between A ... and B" in the first sentence that has it.
// Dates: "1 March 2024", "March 1, 2024", "2024-03-01", in order of appearance, each once.
#pragma once

#include "ingest/core/source.h"

#include <string>
#include <vector>

namespace m1::ingest {

struct contract_paragraph {
    std::string text;       // the paragraph, with any list label the reader rendered in front ("1.1 The ...")
    int page = 0;           // 1-based for PDFs, 0 otherwise
    bool heading = false;   // the reader knows it is a heading (e.g. a DOCX heading style)
};

struct contract_structure {
    std::vector<segment> segments;  // anchor.clause set, anchor.page for PDFs; text = paragraphs joined by '\n'
    std::vector<defined_term> terms;
    std::vector<std::string> parties;
    std::vector<std::string> dates;
};

contract_structure segment_contract(const std::vector<contract_paragraph>& paragraphs);

// The label a paragraph starts with as written, before sub-clauses are joined to their parent: "Article IV",
// "Section 5", "12.3", "12.3(a)", "(a)"; "" when it starts none (headings are not detected here).
std::string clause_label(std::string_view paragraph);

// Turns a PDF source (page segments from read_pdf) into a contract: its segments become clause segments (with page
// anchors; word boxes are dropped), and terms, parties and dates are filled. Token counts must be taken afterwards.
void apply_contract_structure(source& pdf_source);

}  // namespace m1::ingest
