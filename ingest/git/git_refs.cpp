#include "ingest/git/git_refs.h"

#include "ingest/core/source.h"
#include "ingest/git/git_reader.h"
#include "ingest/git/libgit2_handles.h"

#include <algorithm>
#include <string_view>

namespace m1::ingest {
namespace {

using namespace m1::ingest::git;

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// Sorts a name list into the result; "refs/heads/x" -> branch x, "refs/remotes/o/x" -> branch o/x, "refs/tags/t" ->
// tag t (peeled "^{}" entries of ls-remote are dropped: they repeat their tag).
void add_ref(git_refs& out, std::string_view name) {
    if (name.size() > 3 && name.substr(name.size() - 3) == "^{}") return;
    if (starts_with(name, "refs/heads/")) out.branches.emplace_back(name.substr(11));
    else if (starts_with(name, "refs/remotes/") && name.substr(name.size() - 5) != "/HEAD")
        out.branches.emplace_back(name.substr(13));
    else if (starts_with(name, "refs/tags/")) out.tags.emplace_back(name.substr(10));
}

void finish(git_refs& out) {
    for (auto* v : {&out.branches, &out.tags}) {
        std::sort(v->begin(), v->end());
        v->erase(std::unique(v->begin(), v->end()), v->end());
    }
}

git_refs list_local(const std::string& location) {
    git_repository* r = nullptr;
    if (git_repository_open_ext(&r, location.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) != 0)
        throw ingest_error(location + ": not a git repository (" + last_error() + ")");
    repository_ptr repo(r);
    git_refs out;
    git_strarray names{};
    if (git_reference_list(&names, repo.get()) != 0)
        throw ingest_error(location + ": cannot list references: " + last_error());
    for (size_t i = 0; i < names.count; ++i) add_ref(out, names.strings[i]);
    git_strarray_dispose(&names);
    git_reference* head = nullptr;
    if (git_repository_head(&head, repo.get()) == 0) {
        if (git_reference_is_branch(head)) out.head = git_reference_shorthand(head);
        git_reference_free(head);
    }
    finish(out);
    return out;
}

git_refs list_remote(const std::string& url) {
    git_remote* rm = nullptr;
    if (git_remote_create_detached(&rm, url.c_str()) != 0)
        throw ingest_error(url + ": not a repository URL: " + last_error());
    remote_ptr remote(rm);
    git_remote_callbacks callbacks = GIT_REMOTE_CALLBACKS_INIT;
    if (git_remote_connect(remote.get(), GIT_DIRECTION_FETCH, &callbacks, nullptr, nullptr) != 0)
        throw ingest_error(url + ": cannot reach the repository: " + last_error());
    const git_remote_head** heads = nullptr;
    size_t count = 0;
    if (git_remote_ls(&heads, &count, remote.get()) != 0)
        throw ingest_error(url + ": cannot list references: " + last_error());
    git_refs out;
    for (size_t i = 0; i < count; ++i) {
        add_ref(out, heads[i]->name);
        if (std::string_view(heads[i]->name) == "HEAD" && heads[i]->symref_target &&
            starts_with(heads[i]->symref_target, "refs/heads/"))
            out.head = heads[i]->symref_target + 11;
    }
    git_remote_disconnect(remote.get());
    finish(out);
    return out;
}

}  // namespace

git_refs list_git_refs(const std::string& location) {
    library lib;
    return is_git_url(location) ? list_remote(location) : list_local(location);
}

}  // namespace m1::ingest
