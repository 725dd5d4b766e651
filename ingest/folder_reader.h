// Plain folders (not git repositories): every file under the folder, chosen by the same rules as repository files
// (ingest/git/file_filter.h: vendored folders, lockfiles, minified, over 1 MiB, binary, not UTF-8, plus include /
// exclude globs). Hidden folders (".name") are skipped, and so are nested repositories (folders with a .git).
// PDF and DOCX files each become their own source (DOCX as a contract; PDFs as contracts when asked); all text files
// together make one "text" source whose anchors name the file relative to the folder and its lines. A PDF or DOCX
// that cannot be read does not stop the folder: it is listed in the text source's `skipped` with the reason.
// Text files are read in parallel (options.run). Thread-safe.
#pragma once

#include "ingest/read_any.h"

namespace m1::ingest {

// Throws ingest_error naming the folder when it cannot be listed; ingest_cancelled when cancelled.
std::vector<source> read_folder(const std::string& path, const read_options& options);

}  // namespace m1::ingest
