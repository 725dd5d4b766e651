// The history source of a repository: one segment per commit, newest first. Internal to ingest/git.
#pragma once

#include "ingest/core/source.h"

#include <git2.h>

#include <string>

namespace m1::ingest::git {

// Walks at most `count` commits from `start` (first-parent order by time). Each segment's text is
//   commit <hash>\nAuthor: <name> <email>\nDate: <YYYY-MM-DD HH:MM:SS +HHMM>\n\n    <subject>\n\n<status>\t<file>\n...
// (status A, M, D, R, C or T against the first parent; the root commit lists its files as A), and its anchor
// carries the commit hash. Throws ingest_error naming `location` on libgit2 errors.
source read_history(git_repository* repo, const git_oid& start, int count, const std::string& location,
                    const std::string& name);

}  // namespace m1::ingest::git
