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

// One entry of a PDF outline (bookmarks), in document order.
struct outline_entry {
    std::string title;
    int level = 1;  // 1 for top-level entries
    int page = 0;   // 1-based target page; 0 when it could not be resolved (see ingest/pdf/pdf_reader.h)
};

// A PDF page: its size in points (the coordinate space of anchor.boxes) and how its text was obtained.
struct page_info {
    int number = 0;               // 1-based
    double width = 0, height = 0;  // points
    bool has_text_layer = false;  // false: an image-only page (scanned)
    bool ocr = false;             // its text comes from OCR
};

// A term a contract defines: "Services" means ...; (the "Supplier").
struct defined_term {
    std::string term;        // without quotes
    std::string definition;  // the defining sentence, for "X" means ...; empty for a parenthetical definition
    std::string clause;      // label of the clause that defines it
    int page = 0;            // for PDF contracts
};

// A file a repository reader left out, and why ("binary", "lockfile", "vendored", "minified", "too large",
// "excluded by pattern", "not UTF-8", "ignored").
struct skipped_file {
    std::string file;
    std::string reason;
};

struct source {
    source_kind kind = source_kind::text;
    std::string path;   // what the user gave (file, folder, repository path or URL)
    std::string title;  // human-readable name
    std::vector<segment> segments;

    // Optional facts, filled by the readers they apply to; empty otherwise.
    std::vector<std::pair<std::string, std::string>> metadata;  // e.g. ("author", "..."), ("ref", "main")
    std::vector<page_info> pages;                              // PDF: every page, in order
    std::vector<outline_entry> outline;                        // PDF
    std::vector<defined_term> terms;                           // contracts
    std::vector<std::string> parties, dates;                   // contracts, as stated in the text
    std::vector<skipped_file> skipped;                         // repositories
    std::vector<std::string> warnings;                         // e.g. pages without a text layer, not OCRed
    std::string commit;                                        // repositories: the full hash that was read

    size_t total_tokens() const;  // sum over segments
    // The value of metadata key `key`, or "" when absent.
    std::string meta(std::string_view key) const;
};

// Tokens per file (anchor.file) of a source, sorted by file name. Segments without a file are left out.
std::vector<std::pair<std::string, size_t>> tokens_by_file(const source& src);
// Tokens per folder, every ancestor folder included, "" being the root (== total over files). Sorted by folder.
std::vector<std::pair<std::string, size_t>> tokens_by_folder(const source& src);

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
