// The source model every reader produces: a source is an ordered list of segments, and every segment knows
// exactly where its text came from (its anchor). Citations, the viewer highlight and the token budget build on this.
// Plain data, no Qt; safe to move between threads.
#pragma once

#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace m1::ingest {

enum class source_kind { pdf, docx, text, git };

const char* to_string(source_kind kind);  // "pdf", "docx", "text", "git" (the JSON contract's names)

// A rectangle on a PDF page in points, origin at the top-left of the page.
struct box {
    double x = 0, y = 0, width = 0, height = 0;
};

// Where a segment's text lives. Fields that do not apply to a source kind stay empty / zero.
struct anchor {
    int page = 0;            // 1-based PDF page; 0 when the source is not paged
    std::string file;        // path relative to the source root (text files, repositories)
    int line_start = 0;      // 1-based first line, inclusive (text and git)
    int line_end = 0;        // 1-based last line, inclusive
    std::string clause;      // contract clause label such as "12.3(a)" or "Article IV"
    std::string commit;      // full commit hash for repository sources
    std::vector<box> boxes;  // word boxes on `page`, for highlighting
};

struct segment {
    anchor where;
    std::string text;     // UTF-8
    size_t tokens = 0;    // counted with the model's tokenizer; 0 until counted
};

struct source {
    source_kind kind = source_kind::text;
    std::string path;   // what the user gave (file, folder, repository path or URL)
    std::string title;  // human-readable name
    std::vector<segment> segments;

    size_t total_tokens() const;  // sum over segments
};

// Counts the tokens of a piece of text with the model's tokenizer. Readers take one so that they stay independent of
// which tokenizer (or none) the caller uses.
using token_counter = std::function<size_t(std::string_view)>;

// Fills segment.tokens for every segment of `src` with `count`.
void count_tokens(source& src, const token_counter& count);

// Thrown by readers for input they cannot read; what() names the file and the problem.
struct ingest_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace m1::ingest
