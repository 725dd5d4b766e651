// Glob patterns for --include / --exclude, with the meaning .gitignore gives them:
//   *   any run of characters except '/'        ?   one character except '/'
//   **  any run of characters including '/' ("**/" also matches no folder at all, so "**/x" matches "x")
//   [abc], [a-z], [!a] one character of (or not of) a set
// A pattern without '/' matches the file's name at any depth ("*.md" matches "docs/a.md"); a pattern ending in '/'
// matches everything under that folder ("vendor/" matches "vendor/x/y.c"); a leading '/' anchors at the root.
// Paths use '/' and are relative to the source root. Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace m1::ingest {

bool glob_match(std::string_view pattern, std::string_view path);

// True when any of `patterns` matches `path`.
bool glob_match_any(const std::vector<std::string>& patterns, std::string_view path);

}  // namespace m1::ingest
