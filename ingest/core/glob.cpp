#include "ingest/core/glob.h"

namespace m1::ingest {
namespace {

// Matches a bracket set starting at p[0] == '['; sets `len` to the set's length in the pattern. Returns false for an
// unterminated set, which then matches a literal '['.
bool match_set(std::string_view p, char c, size_t& len, bool& ok) {
    size_t i = 1;
    bool negate = i < p.size() && (p[i] == '!' || p[i] == '^');
    if (negate) ++i;
    bool hit = false;
    const size_t first = i;
    for (; i < p.size() && (p[i] != ']' || i == first); ++i) {
        if (i + 2 < p.size() && p[i + 1] == '-' && p[i + 2] != ']') {
            hit |= p[i] <= c && c <= p[i + 2];
            i += 2;
        } else {
            hit |= p[i] == c;
        }
    }
    if (i >= p.size()) return false;
    len = i + 1;
    ok = hit != negate;
    return true;
}

// Classic backtracking matcher over pattern p and text s.
bool match(std::string_view p, std::string_view s) {
    while (!p.empty()) {
        if (p.starts_with("**")) {
            std::string_view rest = p.substr(2);
            if (rest.starts_with("/")) {
                // "**/": zero folders, or any prefix ending in '/'.
                if (match(rest.substr(1), s)) return true;
                for (size_t i = 0; i < s.size(); ++i)
                    if (s[i] == '/' && match(rest.substr(1), s.substr(i + 1))) return true;
                return false;
            }
            for (size_t i = 0; i <= s.size(); ++i)
                if (match(rest, s.substr(i))) return true;
            return false;
        }
        if (p[0] == '*') {
            std::string_view rest = p.substr(1);
            for (size_t i = 0; i <= s.size(); ++i) {
                if (match(rest, s.substr(i))) return true;
                if (i < s.size() && s[i] == '/') return false;
            }
            return false;
        }
        if (s.empty()) return false;
        if (p[0] == '?') {
            if (s[0] == '/') return false;
            p.remove_prefix(1);
            s.remove_prefix(1);
            continue;
        }
        if (p[0] == '[') {
            size_t len = 0;
            bool ok = false;
            if (match_set(p, s[0], len, ok)) {
                if (!ok || s[0] == '/') return false;
                p.remove_prefix(len);
                s.remove_prefix(1);
                continue;
            }
        }
        if (p[0] != s[0]) return false;
        p.remove_prefix(1);
        s.remove_prefix(1);
    }
    return s.empty();
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view path) {
    if (pattern.empty()) return false;
    if (pattern.ends_with("/")) {
        // A folder: everything under it, at any depth unless anchored.
        std::string folder(pattern);
        folder += "**";
        if (pattern.find('/') == pattern.size() - 1) folder = "**/" + folder;
        return glob_match(folder, path);
    }
    if (pattern.starts_with("/")) return match(pattern.substr(1), path);
    if (pattern.find('/') == std::string_view::npos) {
        const size_t slash = path.rfind('/');
        return match(pattern, slash == std::string_view::npos ? path : path.substr(slash + 1));
    }
    return match(pattern, path);
}

bool glob_match_any(const std::vector<std::string>& patterns, std::string_view path) {
    for (const std::string& p : patterns)
        if (glob_match(p, path)) return true;
    return false;
}

}  // namespace m1::ingest
