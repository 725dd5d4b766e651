// PDF files (Poppler, through poppler-cpp): one segment per page with a text layer (or OCR text), anchored to the
// page, with the page's word boxes for highlighting. Also the metadata (title, author, pages), the outline and a
// page_info per page (size in points; whether it has a text layer).
//
// Page text is Poppler's reading order (the same layout analysis as `pdftotext` without -layout: columns are read
// one after the other). Word boxes are in points, origin at the top-left of the page.
//
// Outline: poppler-cpp 22.12 exposes outline titles and levels but not their target pages, so each entry's page is
// found by its title: the first page, at or after the previous entry's page, on which a line starts with the title
// (whitespace and case ignored); 0 when no page does.
//
// Pages without a text layer are counted in source.pages (has_text_layer = false). With options.ocr they are
// rendered (page_renderer, options.ocr_dpi) and read by Tesseract; otherwise a warning names them.
//
// Pages are read in parallel (one Poppler document per worker thread, sharing the file's bytes in memory).
// Thread-safety: read_pdf may be called from several threads at once on different or the same files.
#pragma once

#include "ingest/core/run_control.h"
#include "ingest/core/source.h"

#include <string>

namespace m1::ingest {

struct pdf_options {
    std::string password;         // tried as user and as owner password; empty = none
    bool ocr = false;             // read pages without a text layer with Tesseract
    std::string ocr_language = "eng";
    int ocr_dpi = 200;
    bool word_boxes = true;       // fill anchor.boxes
    run_options run;              // threads, progress (one item per page), cancel
};

// Reads a PDF. Throws ingest_error naming the file for: a file that cannot be opened, is empty or is not a PDF;
// an encrypted file without the right password ("encrypted; pass --password" / "wrong password"); a damaged or
// truncated file; OCR requested but not available. Throws ingest_cancelled when cancelled.
source read_pdf(const std::string& path, const pdf_options& options = {});

// True when this build can OCR (Tesseract was found at configure time).
bool pdf_ocr_available();

}  // namespace m1::ingest
