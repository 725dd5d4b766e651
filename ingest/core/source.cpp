#include "ingest/core/source.h"

namespace m1::ingest {

const char* to_string(source_kind kind) {
    switch (kind) {
    case source_kind::pdf: return "pdf";
    case source_kind::docx: return "docx";
    case source_kind::text: return "text";
    case source_kind::git: return "git";
    }
    return "unknown";
}

size_t source::total_tokens() const {
    size_t total = 0;
    for (const segment& s : segments) total += s.tokens;
    return total;
}

void count_tokens(source& src, const token_counter& count) {
    for (segment& s : src.segments) s.tokens = count(s.text);
}

}  // namespace m1::ingest
