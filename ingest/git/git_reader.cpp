#include "ingest/git/git_reader.h"

#include "ingest/git/git_history.h"
#include "ingest/git/libgit2_handles.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace m1::ingest {
namespace {

namespace fs = std::filesystem;
using namespace m1::ingest::git;

// One file to read: from the object database (tree mode) or from disk (worktree mode).
struct file_job {
    std::string path;  // relative, '/'-separated
    git_oid oid{};     // tree mode
};

struct file_result {
    std::string skip_reason;
    std::vector<segment> segments;
};

std::string default_cache_dir() {
    if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return std::string(xdg) + "/m1studio/repos";
    if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cache/m1studio/repos";
    return (fs::temp_directory_path() / "m1studio-repos").string();
}

// A folder name for a URL: readable, and distinct for distinct URLs.
std::string cache_name(const std::string& url) {
    std::string name;
    for (char c : url) name += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ? c : '_';
    return name.substr(name.size() > 120 ? name.size() - 120 : 0) + "-" +
           std::to_string(std::hash<std::string>{}(url) % 1000000007ULL);
}

std::string display_name(const std::string& location) {
    std::string s = location;
    while (s.size() > 1 && (s.back() == '/' || s.back() == '\\')) s.pop_back();
    if (s.ends_with(".git")) s.resize(s.size() - 4);
    const size_t cut = s.find_last_of("/:");
    return cut == std::string::npos ? s : s.substr(cut + 1);
}

repository_ptr open_local(const std::string& path, const std::string& location) {
    std::error_code ec;
    if (!fs::exists(path, ec)) throw ingest_error(location + ": no such file or folder");
    git_repository* r = nullptr;
    if (git_repository_open_ext(&r, path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) != 0)
        throw ingest_error(location + ": not a git repository (" + last_error() + ")");
    return repository_ptr(r);
}

repository_ptr clone_or_fetch(const std::string& url, const std::string& cache_dir) {
    const fs::path target = fs::path(cache_dir.empty() ? default_cache_dir() : cache_dir) / cache_name(url);
    std::error_code ec;
    if (fs::exists(target / "HEAD", ec)) {
        repository_ptr repo = open_local(target.string(), url);
        git_remote* rm = nullptr;
        if (git_remote_lookup(&rm, repo.get(), "origin") != 0)
            throw ingest_error(url + ": the cached clone in " + target.string() + " has no origin: " + last_error());
        remote_ptr remote(rm);
        if (git_remote_fetch(remote.get(), nullptr, nullptr, "m1 ingest") != 0)
            throw ingest_error(url + ": fetch failed: " + last_error());
        return repo;
    }
    fs::create_directories(target.parent_path(), ec);
    git_clone_options opts = GIT_CLONE_OPTIONS_INIT;
    opts.bare = 1;  // only the object database is read; a checkout would double the disk use
    git_repository* r = nullptr;
    if (git_clone(&r, url.c_str(), target.string().c_str(), &opts) != 0) {
        const std::string why = last_error();
        fs::remove_all(target, ec);
        throw ingest_error(url + ": clone failed: " + why);
    }
    return repository_ptr(r);
}

commit_ptr resolve(git_repository* repo, const std::string& ref, const std::string& location, bool remote) {
    git_object* obj = nullptr;
    int rc = git_revparse_single(&obj, repo, ref.c_str());
    if (rc != 0 && remote) rc = git_revparse_single(&obj, repo, ("origin/" + ref).c_str());
    if (rc != 0) throw ingest_error(location + ": no branch, tag or commit named '" + ref + "'");
    object_ptr object(obj);
    git_object* peeled = nullptr;
    if (git_object_peel(&peeled, object.get(), GIT_OBJECT_COMMIT) != 0)
        throw ingest_error(location + ": '" + ref + "' does not name a commit");
    return commit_ptr(reinterpret_cast<git_commit*>(peeled));
}

bool is_vendored_folder(const file_filter& filter, const std::string& folder) {
    // A vendored folder is skipped as a whole, unless include patterns could reach into it.
    return filter.include.empty() && path_exclusion(filter, folder + "/x") == "vendored";
}

struct walk_state {
    const file_filter* filter;
    std::vector<file_job>* jobs;
    std::vector<skipped_file>* skipped;
};

int tree_walk_cb(const char* root, const git_tree_entry* entry, void* payload) {
    auto& st = *static_cast<walk_state*>(payload);
    const std::string path = std::string(root) + git_tree_entry_name(entry);
    const git_object_t type = git_tree_entry_type(entry);
    if (type == GIT_OBJECT_TREE) {
        if (is_vendored_folder(*st.filter, path)) {
            st.skipped->push_back({path + "/", "vendored"});
            return 1;  // skip the subtree
        }
        return 0;
    }
    if (type == GIT_OBJECT_COMMIT) {
        st.skipped->push_back({path, "submodule"});
        return 0;
    }
    if (type != GIT_OBJECT_BLOB) return 0;
    if (git_tree_entry_filemode(entry) == GIT_FILEMODE_LINK) {
        st.skipped->push_back({path, "symbolic link"});
        return 0;
    }
    if (std::string why = path_exclusion(*st.filter, path); !why.empty()) {
        st.skipped->push_back({path, why});
        return 0;
    }
    st.jobs->push_back({path, *git_tree_entry_id(entry)});
    return 0;
}

void collect_tree(git_commit* commit, const file_filter& filter, std::vector<file_job>& jobs,
                  std::vector<skipped_file>& skipped, const std::string& location) {
    git_tree* t = nullptr;
    if (git_commit_tree(&t, commit) != 0) throw ingest_error(location + ": " + last_error());
    tree_ptr tree(t);
    walk_state st{&filter, &jobs, &skipped};
    if (git_tree_walk(tree.get(), GIT_TREEWALK_PRE, tree_walk_cb, &st) != 0)
        throw ingest_error(location + ": cannot walk the tree: " + last_error());
}

void collect_worktree(git_repository* repo, const fs::path& top, const fs::path& dir, const file_filter& filter,
                      std::vector<file_job>& jobs, std::vector<skipped_file>& skipped, const std::string& location) {
    std::vector<fs::directory_entry> entries;
    std::error_code ec;
    for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) entries.push_back(e);
    if (ec) throw ingest_error(location + ": cannot list " + dir.string() + ": " + ec.message());
    std::sort(entries.begin(), entries.end());
    for (const fs::directory_entry& e : entries) {
        const std::string rel = fs::relative(e.path(), top).generic_string();
        if (e.path().filename() == ".git") continue;
        if (e.is_symlink(ec)) {
            skipped.push_back({rel, "symbolic link"});
            continue;
        }
        const bool folder = e.is_directory(ec);
        int ignored = 0;
        if (git_ignore_path_is_ignored(&ignored, repo, (folder ? rel + "/" : rel).c_str()) != 0)
            throw ingest_error(location + ": " + last_error());
        if (ignored) {
            skipped.push_back({folder ? rel + "/" : rel, "ignored"});
            continue;
        }
        if (folder) {
            if (fs::exists(e.path() / ".git", ec)) {  // a submodule or another repository: not this one's files
                skipped.push_back({rel + "/", "nested repository"});
                continue;
            }
            if (is_vendored_folder(filter, rel)) {
                skipped.push_back({rel + "/", "vendored"});
                continue;
            }
            collect_worktree(repo, top, e.path(), filter, jobs, skipped, location);
        } else if (e.is_regular_file(ec)) {
            if (std::string why = path_exclusion(filter, rel); !why.empty()) {
                skipped.push_back({rel, why});
                continue;
            }
            jobs.push_back({rel, {}});
        }
    }
}

}  // namespace

bool is_git_url(const std::string& location) {
    if (location.find("://") != std::string::npos) return true;
    // scp-like syntax user@host:path, which is never a local path with a colon before any slash
    const size_t at = location.find('@'), colon = location.find(':'), slash = location.find('/');
    return at != std::string::npos && colon != std::string::npos && at < colon && (slash == std::string::npos || colon < slash);
}

bool is_git_repository(const std::string& path) {
    library lib;
    git_repository* r = nullptr;
    if (git_repository_open_ext(&r, path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr) != 0) return false;
    git_repository_free(r);
    return true;
}

git_sources read_git(const std::string& location, const git_options& options) {
    library lib;
    const bool remote = is_git_url(location);
    if (remote && options.worktree) throw ingest_error(location + ": --worktree needs a local repository, not a URL");
    repository_ptr repo = remote ? clone_or_fetch(location, options.cache_dir) : open_local(location, location);
    if (options.worktree && git_repository_is_bare(repo.get()))
        throw ingest_error(location + ": --worktree needs a working folder; this repository is bare");

    const std::string ref = options.ref.empty() ? "HEAD" : options.ref;
    commit_ptr commit;
    if (!options.worktree || ref != "HEAD" || !git_repository_head_unborn(repo.get()))
        commit = resolve(repo.get(), ref, location, remote);
    const std::string hash = commit ? oid_hex(git_commit_id(commit.get())) : std::string();

    git_sources out;
    source& src = out.files;
    src.kind = source_kind::git;
    src.path = location;
    // "." or "../x/" name no repository; the absolute, normalised path does.
    src.title = display_name(remote ? location : fs::absolute(location).lexically_normal().string());
    src.commit = hash;

    std::vector<file_job> jobs;
    const fs::path top = options.worktree ? fs::path(git_repository_workdir(repo.get())) : fs::path();
    if (options.worktree)
        collect_worktree(repo.get(), top, top, options.filter, jobs, src.skipped, location);
    else
        collect_tree(commit.get(), options.filter, jobs, src.skipped, location);

    run_state state(options.run, jobs.size());
    const unsigned workers = worker_count(options.run, jobs.size());
    const std::string repo_path = git_repository_path(repo.get());
    std::vector<repository_ptr> repos(workers);
    std::vector<odb_ptr> odbs(workers);
    std::vector<file_result> results(jobs.size());
    parallel_for(jobs.size(), workers, state, [&](size_t i, unsigned worker) {
        const file_job& job = jobs[i];
        file_result& r = results[i];
        std::string bytes;
        size_t size = 0;
        if (options.worktree) {
            std::error_code ec;
            size = fs::file_size(top / job.path, ec);
            if (ec) throw ingest_error(location + ": " + job.path + ": " + ec.message());
            if (size <= options.filter.max_file_bytes) {
                std::ifstream in(top / job.path, std::ios::binary);
                if (!in) throw ingest_error(location + ": " + job.path + ": cannot open the file for reading");
                std::ostringstream buf;
                buf << in.rdbuf();
                bytes = buf.str();
            }
        } else {
            if (!repos[worker]) {  // libgit2: one repository object per thread
                git_repository* wr = nullptr;
                git_odb* wo = nullptr;
                if (git_repository_open(&wr, repo_path.c_str()) != 0) throw ingest_error(location + ": " + last_error());
                repos[worker].reset(wr);
                if (git_repository_odb(&wo, wr) != 0) throw ingest_error(location + ": " + last_error());
                odbs[worker].reset(wo);
            }
            git_object_t type;
            if (git_odb_read_header(&size, &type, odbs[worker].get(), &job.oid) != 0)
                throw ingest_error(location + ": " + job.path + ": " + last_error());
            if (size <= options.filter.max_file_bytes) {
                git_blob* b = nullptr;
                if (git_blob_lookup(&b, repos[worker].get(), &job.oid) != 0)
                    throw ingest_error(location + ": " + job.path + ": " + last_error());
                blob_ptr blob(b);
                bytes.assign(static_cast<const char*>(git_blob_rawcontent(b)), static_cast<size_t>(git_blob_rawsize(b)));
            }
        }
        r.skip_reason = content_exclusion(options.filter, job.path, size, bytes);
        if (r.skip_reason.empty()) {
            r.segments = split_lines(bytes, job.path, options.text);
            for (segment& s : r.segments) s.where.commit = hash;
        }
        state.finished(job.path);
    });
    state.throw_if_cancelled(location);

    size_t files = 0;
    for (size_t i = 0; i < jobs.size(); ++i) {
        if (!results[i].skip_reason.empty()) {
            src.skipped.push_back({jobs[i].path, results[i].skip_reason});
            continue;
        }
        ++files;
        for (segment& s : results[i].segments) src.segments.push_back(std::move(s));
    }
    std::sort(src.skipped.begin(), src.skipped.end(),
              [](const skipped_file& a, const skipped_file& b) { return a.file < b.file; });
    src.metadata = {{"ref", ref},
                    {"commit", hash},
                    {"mode", options.worktree ? "worktree" : "tree"},
                    {"files", std::to_string(files)},
                    {"skipped", std::to_string(src.skipped.size())}};
    if (options.history > 0 && commit)
        out.history = read_history(repo.get(), *git_commit_id(commit.get()), options.history, location, src.title);
    return out;
}

}  // namespace m1::ingest
