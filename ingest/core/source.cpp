#include "ingest/core/source.h"

#include <map>

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

std::string source::meta(std::string_view key) const {
    for (const auto& [k, v] : metadata)
        if (k == key) return v;
    return {};
}

std::vector<std::pair<std::string, size_t>> tokens_by_file(const source& src) {
    std::map<std::string, size_t> files;
    for (const segment& s : src.segments)
        if (!s.where.file.empty()) files[s.where.file] += s.tokens;
    return {files.begin(), files.end()};
}

std::vector<std::pair<std::string, size_t>> tokens_by_folder(const source& src) {
    std::map<std::string, size_t> folders;
    for (const auto& [file, tokens] : tokens_by_file(src)) {
        folders[""] += tokens;
        for (size_t slash = file.find('/'); slash != std::string::npos; slash = file.find('/', slash + 1))
            folders[file.substr(0, slash)] += tokens;
    }
    return {folders.begin(), folders.end()};
}

void count_tokens(source& src, const token_counter& count) {
    for (segment& s : src.segments) s.tokens = count(s.text);
}

}  // namespace m1::ingest
