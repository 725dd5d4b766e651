#include "ingest/text/text_reader.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace m1::ingest {
namespace {

// Returns the byte offset of the first invalid UTF-8 sequence, or npos.
size_t first_invalid_utf8(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        if (len == 0 || i + len > s.size()) return i;
        for (size_t k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return i;
        i += len;
    }
    return std::string_view::npos;
}

bool is_blank(std::string_view line) {
    for (char c : line)
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
    return true;
}

}  // namespace

std::vector<segment> split_lines(std::string_view text, const std::string& file, const text_options& options) {
    std::vector<segment> out;
    segment current;
    int line_no = 0, lines_in_current = 0;
    auto close = [&] {
        if (lines_in_current == 0) return;
        current.where.line_end = line_no;
        out.push_back(std::move(current));
        current = segment{};
        lines_in_current = 0;
    };
    size_t pos = 0;
    while (pos < text.size()) {
        size_t nl = text.find('\n', pos);
        size_t end = nl == std::string_view::npos ? text.size() : nl + 1;
        std::string_view line = text.substr(pos, end - pos);
        ++line_no;
        if (lines_in_current == 0) {
            current.where.file = file;
            current.where.line_start = line_no;
        }
        current.text.append(line);
        ++lines_in_current;
        if (lines_in_current >= options.max_lines || (lines_in_current >= options.min_lines && is_blank(line))) close();
        pos = end;
    }
    close();
    return out;
}

source read_text_file(const std::string& path, const text_options& options) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ingest_error(path + ": cannot open the file for reading");
    std::ostringstream buffer;
    buffer << in.rdbuf();
    std::string text = buffer.str();
    if (size_t bad = first_invalid_utf8(text); bad != std::string::npos)
        throw ingest_error(path + ": not a UTF-8 text file (invalid byte at offset " + std::to_string(bad) + ")");
    source src;
    src.kind = source_kind::text;
    src.path = path;
    src.title = std::filesystem::path(path).filename().string();
    src.segments = split_lines(text, src.title, options);
    return src;
}

}  // namespace m1::ingest
