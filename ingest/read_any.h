// One entry point for every kind of source: picks the reader from what the path is. Used by `m1 ingest`, `m1 ask`
// and the desktop application, so that a path means the same thing everywhere.
//
//   a git URL, or a folder that is a git repository  -> read_git (the files, plus a history source when asked)
//   a .pdf file, or any file that starts with %PDF-  -> read_pdf (with clause structure when `contract` is set)
//   a .docx file                                     -> read_docx (always a contract)
//   anything else                                    -> read_text_file
//   any other folder                                 -> read_folder (folder_reader.h: its PDFs, DOCX and text files)
// Throws ingest_error (ingest_cancelled when cancelled) naming the path and the problem. Thread-safe.
#pragma once

#include "ingest/core/run_control.h"
#include "ingest/core/source.h"

#include <string>
#include <vector>

namespace m1::ingest {

struct read_options {
    // repositories
    std::string ref = "HEAD";           // branch, tag or commit
    bool worktree = false;              // the working tree (with .gitignore) instead of the ref's tree
    std::vector<std::string> include;   // globs; empty = everything not excluded
    std::vector<std::string> exclude;   // globs, on top of the default exclusions
    int history = 0;                    // last N commits as a second source; 0 = none
    std::string cache_dir;              // where URLs are cloned; empty = the default cache
    // PDFs
    std::string password;
    bool ocr = false;                   // OCR pages without a text layer (Tesseract)
    bool word_boxes = false;            // keep word boxes (for highlighting)
    bool contract = false;              // segment PDFs into clauses
    run_options run;
};

struct read_result {
    std::vector<source> sources;  // one, or two for a repository with history
    bool contract = false;        // the sources carry clause anchors (DOCX, or a PDF read as a contract)
};

read_result read_path(const std::string& path, const read_options& options = {});

}  // namespace m1::ingest
