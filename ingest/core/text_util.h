// Small text helpers shared by the readers. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace m1::ingest {

// Whitespace runs collapsed to one space, leading and trailing whitespace dropped; ASCII letters lower-cased when
// `lowercase` is set. How contract text is matched by pattern and outline titles are compared with page lines.
std::string collapse_whitespace(std::string_view s, bool lowercase = false);

}  // namespace m1::ingest
