// Owning handles for the libgit2 objects ingest/git creates, and the library's init/shutdown pair. Every git_* handle
// the reader holds is one of these, so no error path leaks. Only ingest/git includes this header (and libgit2).
#pragma once

#include <git2.h>

#include <memory>
#include <string>

namespace m1::ingest::git {

// git_libgit2_init / git_libgit2_shutdown are reference-counted by libgit2, so one of these per reader call is
// enough and nesting is harmless.
struct library {
    library() { git_libgit2_init(); }
    ~library() { git_libgit2_shutdown(); }
    library(const library&) = delete;
    library& operator=(const library&) = delete;
};

template <typename T, void (*Free)(T*)>
struct deleter {
    void operator()(T* p) const { Free(p); }
};

using repository_ptr = std::unique_ptr<git_repository, deleter<git_repository, git_repository_free>>;
using object_ptr = std::unique_ptr<git_object, deleter<git_object, git_object_free>>;
using commit_ptr = std::unique_ptr<git_commit, deleter<git_commit, git_commit_free>>;
using tree_ptr = std::unique_ptr<git_tree, deleter<git_tree, git_tree_free>>;
using blob_ptr = std::unique_ptr<git_blob, deleter<git_blob, git_blob_free>>;
using odb_ptr = std::unique_ptr<git_odb, deleter<git_odb, git_odb_free>>;
using revwalk_ptr = std::unique_ptr<git_revwalk, deleter<git_revwalk, git_revwalk_free>>;
using diff_ptr = std::unique_ptr<git_diff, deleter<git_diff, git_diff_free>>;
using remote_ptr = std::unique_ptr<git_remote, deleter<git_remote, git_remote_free>>;

// The message of the last libgit2 error on this thread, or `fallback`.
inline std::string last_error(const char* fallback = "unknown libgit2 error") {
    const git_error* e = git_error_last();
    return e && e->message ? e->message : fallback;
}

inline std::string oid_hex(const git_oid* oid) {
    char buf[GIT_OID_HEXSZ + 1];
    git_oid_tostr(buf, sizeof buf, oid);
    return buf;
}

}  // namespace m1::ingest::git
