#include "ingest/git/git_history.h"

#include "ingest/git/libgit2_handles.h"

#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace m1::ingest::git {
namespace {

std::string format_time(const git_time& t) {
    // The commit's own local time and offset, like `git log --date=iso`.
    const time_t local = static_cast<time_t>(t.time) + static_cast<time_t>(t.offset) * 60;
    std::tm cal{};
    gmtime_r(&local, &cal);
    char buf[64];
    const int off = std::abs(t.offset);
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d %c%02d%02d", cal.tm_year + 1900, cal.tm_mon + 1,
                  cal.tm_mday, cal.tm_hour, cal.tm_min, cal.tm_sec, t.offset < 0 ? '-' : '+', off / 60, off % 60);
    return buf;
}

char status_letter(git_delta_t status) {
    switch (status) {
    case GIT_DELTA_ADDED: return 'A';
    case GIT_DELTA_DELETED: return 'D';
    case GIT_DELTA_RENAMED: return 'R';
    case GIT_DELTA_COPIED: return 'C';
    case GIT_DELTA_TYPECHANGE: return 'T';
    default: return 'M';
    }
}

std::string changed_files(git_repository* repo, git_commit* commit, const std::string& location) {
    tree_ptr tree, parent_tree;
    git_tree* t = nullptr;
    if (git_commit_tree(&t, commit) != 0) throw ingest_error(location + ": " + last_error());
    tree.reset(t);
    if (git_commit_parentcount(commit) > 0) {
        git_commit* p = nullptr;
        if (git_commit_parent(&p, commit, 0) != 0) throw ingest_error(location + ": " + last_error());
        commit_ptr parent(p);
        if (git_commit_tree(&t, parent.get()) != 0) throw ingest_error(location + ": " + last_error());
        parent_tree.reset(t);
    }
    git_diff* d = nullptr;
    if (git_diff_tree_to_tree(&d, repo, parent_tree.get(), tree.get(), nullptr) != 0)
        throw ingest_error(location + ": " + last_error());
    diff_ptr diff(d);
    std::string out;
    for (size_t i = 0; i < git_diff_num_deltas(diff.get()); ++i) {
        const git_diff_delta* delta = git_diff_get_delta(diff.get(), i);
        out += status_letter(delta->status);
        out += '\t';
        out += delta->new_file.path ? delta->new_file.path : delta->old_file.path;
        out += '\n';
    }
    return out;
}

}  // namespace

source read_history(git_repository* repo, const git_oid& start, int count, const std::string& location,
                    const std::string& name) {
    source src;
    src.kind = source_kind::git;
    src.path = location;
    src.title = name + " history";
    src.commit = oid_hex(&start);
    src.metadata = {{"history_of", src.commit}};
    git_revwalk* w = nullptr;
    if (git_revwalk_new(&w, repo) != 0) throw ingest_error(location + ": " + last_error());
    revwalk_ptr walk(w);
    git_revwalk_sorting(walk.get(), GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
    if (git_revwalk_push(walk.get(), &start) != 0) throw ingest_error(location + ": " + last_error());
    git_oid oid;
    while (static_cast<int>(src.segments.size()) < count && git_revwalk_next(&oid, walk.get()) == 0) {
        git_commit* c = nullptr;
        if (git_commit_lookup(&c, repo, &oid) != 0) throw ingest_error(location + ": " + last_error());
        commit_ptr commit(c);
        const git_signature* author = git_commit_author(commit.get());
        const char* summary = git_commit_summary(commit.get());
        segment s;
        s.where.commit = oid_hex(&oid);
        s.text = "commit " + s.where.commit + "\nAuthor: " + author->name + " <" + author->email + ">\nDate: " +
                 format_time(author->when) + "\n\n    " + (summary ? summary : "") + "\n\n" +
                 changed_files(repo, commit.get(), location);
        src.segments.push_back(std::move(s));
    }
    return src;
}

}  // namespace m1::ingest::git
