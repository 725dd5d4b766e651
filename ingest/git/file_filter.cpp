#include "ingest/git/file_filter.h"

#include "ingest/core/glob.h"

#include <algorithm>
#include <array>

namespace m1::ingest {
namespace {

constexpr std::array<std::string_view, 5> k_vendored = {"vendor", "node_modules", "third_party", "bower_components",
                                                        ".git"};
constexpr std::array<std::string_view, 10> k_lockfiles = {"package-lock.json", "yarn.lock",     "pnpm-lock.yaml",
                                                          "Cargo.lock",        "Gemfile.lock",  "poetry.lock",
                                                          "composer.lock",     "Pipfile.lock",  "go.sum",
                                                          "flake.lock"};

std::string_view file_name(std::string_view path) {
    const size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool is_vendored(std::string_view path) {
    size_t start = 0;
    while (start < path.size()) {
        size_t slash = path.find('/', start);
        if (slash == std::string_view::npos) return false;  // the last component is the file itself
        const std::string_view part = path.substr(start, slash - start);
        if (std::find(k_vendored.begin(), k_vendored.end(), part) != k_vendored.end()) return true;
        start = slash + 1;
    }
    return false;
}

bool valid_utf8(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        const size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        if (len == 0 || i + len > s.size()) return false;
        for (size_t k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
        i += len;
    }
    return true;
}

bool looks_minified(std::string_view bytes) {
    size_t longest = 0, lines = 0, start = 0;
    while (start < bytes.size()) {
        size_t nl = bytes.find('\n', start);
        if (nl == std::string_view::npos) nl = bytes.size();
        longest = std::max(longest, nl - start);
        ++lines;
        start = nl + 1;
    }
    return longest > 1000 && lines > 0 && bytes.size() / lines > 300;
}

}  // namespace

std::string path_exclusion(const file_filter& filter, std::string_view path) {
    if (glob_match_any(filter.exclude, path)) return "excluded by pattern";
    const bool included = !filter.include.empty() && glob_match_any(filter.include, path);
    if (!filter.include.empty() && !included) return "not included";
    if (included) return {};  // an explicit include overrides the name-based defaults
    if (is_vendored(path)) return "vendored";
    const std::string_view name = file_name(path);
    if (std::find(k_lockfiles.begin(), k_lockfiles.end(), name) != k_lockfiles.end() || name.ends_with(".lock"))
        return "lockfile";
    if (name.ends_with(".min.js") || name.ends_with(".min.css")) return "minified";
    return {};
}

std::string content_exclusion(const file_filter& filter, std::string_view path, size_t size, std::string_view bytes) {
    if (size > filter.max_file_bytes) return "too large";
    if (bytes.substr(0, 8000).find('\0') != std::string_view::npos) return "binary";
    if (!valid_utf8(bytes)) return "not UTF-8";
    const bool included = !filter.include.empty() && glob_match_any(filter.include, path);
    if (!included && looks_minified(bytes)) return "minified";
    return {};
}

}  // namespace m1::ingest
