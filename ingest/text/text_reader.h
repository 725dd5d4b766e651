// Plain text and Markdown files: line-anchored segments.
// A segment is a run of whole lines, closed at a blank line once it holds at least `min_lines`, and always at
// `max_lines`, so citations can name a narrow line range while the context stays compact.
#pragma once

#include "ingest/core/source.h"

#include <string>

namespace m1::ingest {

struct text_options {
    int min_lines = 8;
    int max_lines = 40;
};

// Splits UTF-8 text into line-anchored segments for `file` (the name written into each anchor).
// Line endings (\n, \r\n) are kept in the segment text, so concatenating the segments gives back the input.
std::vector<segment> split_lines(std::string_view text, const std::string& file, const text_options& options = {});

// Reads a text file. Throws ingest_error naming the file when it cannot be read or is not valid UTF-8.
source read_text_file(const std::string& path, const text_options& options = {});

}  // namespace m1::ingest
