// The branches and tags of a repository, for the desktop app's ref picker. A local repository is read directly; a
// URL is asked over the network (git ls-remote), without cloning. Thread-safe; may block on the network for a URL.
#pragma once

#include <string>
#include <vector>

namespace m1::ingest {

struct git_refs {
    std::vector<std::string> branches;  // short names, sorted ("main", "origin/feature" for remote-tracking ones)
    std::vector<std::string> tags;      // short names, sorted
    std::string head;                   // the branch HEAD points at ("" when detached or unknown)
};

// Throws ingest_error naming `location` when it is not a repository or the remote cannot be reached.
git_refs list_git_refs(const std::string& location);

}  // namespace m1::ingest
