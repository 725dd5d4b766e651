// Which files of a repository (or folder) become segments, and why the others do not. No libgit2 here: the rules
// work on a relative path, a size and the file's bytes, so the tree reader and the working-tree walker share them.
//
// Default exclusions (each gives a reason in source.skipped):
//   "vendored"  a path component is vendor, node_modules, third_party, bower_components or .git
//   "lockfile"  package-lock.json, yarn.lock, pnpm-lock.yaml, Cargo.lock, Gemfile.lock, poetry.lock, composer.lock,
//               Pipfile.lock, go.sum, flake.lock, or any *.lock
//   "minified"  *.min.js / *.min.css, or text whose longest line passes 1,000 bytes with an average line over 300
//   "too large" more than max_file_bytes (1 MiB by default)
//   "binary"    a NUL byte in the first 8,000 bytes (git's own test)
//   "not UTF-8" any invalid UTF-8
// User patterns (glob.h): a file matching an --exclude pattern is left out ("excluded by pattern"); when --include
// patterns are given, only matching files are read ("not included"), and a file that an include pattern names
// explicitly overrides the vendored / lockfile / minified defaults (never size, binary or UTF-8).
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace m1::ingest {

struct file_filter {
    std::vector<std::string> include;  // globs; empty = everything
    std::vector<std::string> exclude;  // globs
    size_t max_file_bytes = size_t(1) << 20;
};

// The reason `path` is left out before its content is read, or "" to read it. `path` is relative, '/'-separated.
std::string path_exclusion(const file_filter& filter, std::string_view path);

// The reason a file of `size` bytes with content `bytes` is left out, or "" to keep it. `path` as above; `bytes`
// may be empty when size > max_file_bytes (the content is not needed then).
std::string content_exclusion(const file_filter& filter, std::string_view path, size_t size, std::string_view bytes);

}  // namespace m1::ingest
