#include "ingest/core/text_util.h"

#include <cctype>

namespace m1::ingest {

std::string collapse_whitespace(std::string_view s, bool lowercase) {
    std::string out;
    out.reserve(s.size());
    bool space = false;
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isspace(u)) {
            space = !out.empty();
            continue;
        }
        if (space) out += ' ';
        space = false;
        out += lowercase ? static_cast<char>(std::tolower(u)) : c;
    }
    return out;
}

}  // namespace m1::ingest
