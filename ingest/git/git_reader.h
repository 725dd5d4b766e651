// Git repositories (libgit2): the text files of one commit's tree (or of the working tree, .gitignore honoured) as
// line-anchored segments (anchor: file + line_start..line_end + commit), and a history source with the last N
// commits. File selection and its reasons are in file_filter.h.
//
// `location` is a local repository (its working folder or a bare repository; not a subfolder) or a clone URL
// (anything with "://", or user@host:path). URLs are cloned once (bare) into options.cache_dir and fetched again on
// later calls; a ref is then looked up as given, then as origin/<ref>.
//
// Files are read in parallel, one git_repository per worker thread (libgit2 objects must not be shared between
// threads). Thread-safety: read_git may run on several threads at once, for different cache folders.
#pragma once

#include "ingest/core/run_control.h"
#include "ingest/core/source.h"
#include "ingest/git/file_filter.h"
#include "ingest/text/text_reader.h"

#include <string>

namespace m1::ingest {

struct git_options {
    std::string ref = "HEAD";  // branch, tag, commit or any revision git understands
    bool worktree = false;     // read the files on disk (tracked or not, .gitignore honoured) instead of ref's tree
    file_filter filter;        // include / exclude globs, size limit
    int history = 20;          // commits in the history source (newest first, from ref); 0 = no history source
    std::string cache_dir;     // where URLs are cloned; empty = $XDG_CACHE_HOME (or ~/.cache) + /m1studio/repos
    text_options text;         // how files are cut into line ranges
    run_options run;           // threads, progress (one item per file), cancel
};

struct git_sources {
    source files;    // kind git; metadata: ref, commit, files, skipped; segments: file, lines, commit
    source history;  // kind git, title "<name> history"; one segment per commit (anchor.commit); empty if history=0
};

// Throws ingest_error naming `location` when it is not a repository, the ref does not exist, a clone or fetch fails,
// or --worktree is asked of a bare repository or a URL; ingest_cancelled when cancelled.
git_sources read_git(const std::string& location, const git_options& options = {});

// True when `location` names a remote repository rather than a local path.
bool is_git_url(const std::string& location);

// True when `path` is the top folder of a git working tree or a bare repository.
bool is_git_repository(const std::string& path);

}  // namespace m1::ingest
