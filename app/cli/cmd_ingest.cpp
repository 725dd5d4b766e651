// m1 ingest: reads sources (PDF, DOCX, text, git repositories) into anchored segments and counts their tokens with
// the model's tokenizer. Prints a summary per source, or with --json the JSON contract of product.md.
// A source that cannot be read is reported on stderr; the others are still read and reported, and the exit status
// is then 1.
#include "app/cli/command.h"
#include "engine/tokenizer/tokenizer.h"
#include "ingest/read_any.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace m1::cli {
namespace {

using namespace m1::ingest;
using nlohmann::json;

json anchor_json(const segment& s, bool boxes) {
    json j;
    const anchor& a = s.where;
    if (a.page > 0) j["page"] = a.page;
    if (!a.file.empty()) j["file"] = a.file;
    if (a.line_start > 0) {
        j["line_start"] = a.line_start;
        j["line_end"] = a.line_end;
    }
    if (!a.clause.empty()) j["clause"] = a.clause;
    if (!a.commit.empty()) j["commit"] = a.commit;
    if (boxes && !a.boxes.empty()) {
        json list = json::array();
        for (const box& b : a.boxes) list.push_back({b.x, b.y, b.width, b.height});
        j["boxes"] = std::move(list);
    }
    j["tokens"] = s.tokens;
    j["text"] = s.text;
    return j;
}

json source_json(const source& src, bool boxes) {
    json j;
    j["kind"] = to_string(src.kind);
    j["path"] = src.path;
    j["title"] = src.title;
    j["tokens"] = src.total_tokens();
    if (!src.commit.empty()) j["commit"] = src.commit;
    json meta = json::object();
    for (const auto& [k, v] : src.metadata) meta[k] = v;
    j["metadata"] = std::move(meta);
    if (!src.pages.empty()) {
        json pages = json::array();
        for (const page_info& p : src.pages)
            pages.push_back({{"page", p.number}, {"width", p.width}, {"height", p.height},
                             {"text_layer", p.has_text_layer}, {"ocr", p.ocr}});
        j["pages"] = std::move(pages);
    }
    if (!src.outline.empty()) {
        json outline = json::array();
        for (const outline_entry& e : src.outline)
            outline.push_back({{"title", e.title}, {"level", e.level}, {"page", e.page}});
        j["outline"] = std::move(outline);
    }
    if (!src.terms.empty()) {
        json terms = json::array();
        for (const defined_term& t : src.terms) {
            json tj = {{"term", t.term}, {"clause", t.clause}, {"definition", t.definition}};
            if (t.page > 0) tj["page"] = t.page;
            terms.push_back(std::move(tj));
        }
        j["terms"] = std::move(terms);
    }
    if (!src.parties.empty()) j["parties"] = src.parties;
    if (!src.dates.empty()) j["dates"] = src.dates;
    if (!src.meta("files").empty()) {  // repositories and folders
        json folders = json::object();
        for (const auto& [folder, tokens] : tokens_by_folder(src)) folders[folder.empty() ? "." : folder] = tokens;
        j["folders"] = std::move(folders);
    }
    if (!src.skipped.empty()) {
        json skipped = json::array();
        for (const skipped_file& s : src.skipped) skipped.push_back({{"file", s.file}, {"reason", s.reason}});
        j["skipped"] = std::move(skipped);
    }
    if (!src.warnings.empty()) j["warnings"] = src.warnings;
    json segments = json::array();
    for (const segment& s : src.segments) segments.push_back(anchor_json(s, boxes));
    j["segments"] = std::move(segments);
    return j;
}

void print_summary(const source& src) {
    std::printf("%-5s %s  (%s)\n", to_string(src.kind), src.path.c_str(), src.title.c_str());
    std::printf("      %zu segments, %zu tokens", src.segments.size(), src.total_tokens());
    if (!src.pages.empty()) std::printf(", %zu pages", src.pages.size());
    if (!src.commit.empty()) std::printf(", commit %s", src.commit.c_str());
    if (!src.meta("files").empty())
        std::printf(", %s files read, %zu left out", src.meta("files").c_str(), src.skipped.size());
    std::printf("\n");
    if (!src.terms.empty()) std::printf("      %zu defined terms\n", src.terms.size());
    if (!src.parties.empty()) {
        std::string parties;
        for (const std::string& p : src.parties) parties += (parties.empty() ? "" : "; ") + p;
        std::printf("      parties: %s\n", parties.c_str());
    }
    if (!src.meta("files").empty())
        for (const auto& [folder, tokens] : tokens_by_folder(src))
            if (!folder.empty() && folder.find('/') == std::string::npos)
                std::printf("      %-30s %zu tokens\n", (folder + "/").c_str(), tokens);
    for (const std::string& w : src.warnings) std::printf("      warning: %s\n", w.c_str());
}

}  // namespace

int run_ingest(const std::vector<std::string>& args) {
    arg_parser p("ingest", "PATH... [--ref R] [--include G] [--exclude G] [--tokenizer FILE] [--password P] [--json]",
                 "Reads PDFs, DOCX contracts, text files and git repositories (local folders or clone URLs) into "
                 "anchored segments and counts their tokens with the model's tokenizer. Prints a summary per source, "
                 "or with --json a document with total_tokens and every source's segments, anchors and text. A PDF "
                 "is read page by page; with --contract it is cut into clauses like a DOCX. A source that cannot be "
                 "read is reported on stderr and the others are still read (exit status 1).");
    p.positionals("PATH", "Files (.pdf, .docx, anything else as UTF-8 text), folders, repositories or git URLs.")
        .option("--tokenizer", "FILE", "The model's tokenizer.json (default: the M1_TOKENIZER environment variable).")
        .option("--ref", "R", "Branch, tag or commit of repositories to read (default HEAD).")
        .option("--include", "G", "Read only the files of repositories and folders that match this glob; it also "
                                  "overrides the vendored/lockfile/minified defaults for what it names.", true)
        .option("--exclude", "G", "Leave out the files of repositories and folders that match this glob.", true)
        .flag("--worktree", "Read repositories' working folders (.gitignore honoured) instead of the ref's tree.")
        .option("--history", "N", "Commits in each repository's history source (default 20; 0 for none).")
        .option("--cache", "DIR", "Where git URLs are cloned (default ~/.cache/m1studio/repos).")
        .option("--password", "P", "Password of encrypted PDFs.")
        .flag("--ocr", "Read PDF pages that have no text layer with Tesseract.")
        .flag("--contract", "Cut PDFs into contract clauses (DOCX files always are).")
        .flag("--boxes", "Include PDF word boxes (points, top-left origin) in the JSON output.")
        .option("--threads", "N", "Worker threads (default: all cores).")
        .flag("--progress", "Report every page and file on stderr as it is read.")
        .flag("--json", "Print the JSON document instead of the summary.");
    if (int rc = parse_or_exit(p, args); rc >= 0) return rc;
    if (p.positional().empty()) {
        std::fprintf(stderr, "m1 ingest: give at least one PATH (run 'm1 ingest --help')\n");
        return 2;
    }
    long long threads = 0, history = 20;
    if (!p.int_value("--threads", threads, 0) || !p.int_value("--history", history, 20) || threads < 0 || history < 0) {
        std::fprintf(stderr, "m1: %s\n", p.error().empty() ? "--threads and --history take numbers >= 0" : p.error().c_str());
        return 2;
    }
    std::string tokenizer_path = p.value_or("--tokenizer", "");
    if (tokenizer_path.empty())
        if (const char* env = std::getenv("M1_TOKENIZER")) tokenizer_path = env;
    if (tokenizer_path.empty()) {
        std::fprintf(stderr, "m1 ingest: token counts need the model's tokenizer: pass --tokenizer FILE or set "
                             "M1_TOKENIZER\n");
        return 2;
    }
    std::unique_ptr<m1::tokenizer> tok;
    try {
        tok = m1::tokenizer::load(tokenizer_path);
    } catch (const std::exception& e) {
        return fail("ingest", e.what());
    }

    run_options run;
    run.threads = static_cast<unsigned>(threads);
    std::mutex print_mutex;
    if (p.has("--progress"))
        run.progress = [&](const progress_event& e) {
            std::lock_guard lock(print_mutex);
            std::fprintf(stderr, "  [%zu/%zu] %.*s\n", e.done, e.total, static_cast<int>(e.item.size()), e.item.data());
            return true;
        };
    const token_counter count = [&](std::string_view text) { return tok->count(text); };

    json doc;
    doc["sources"] = json::array();
    json errors = json::array();
    size_t total = 0;
    int failed = 0;
    for (const std::string& path : p.positional()) {
        try {
            const auto start = std::chrono::steady_clock::now();
            read_options o;
            o.ref = p.value_or("--ref", "HEAD");
            o.worktree = p.has("--worktree");
            o.include = p.values("--include");
            o.exclude = p.values("--exclude");
            o.history = static_cast<int>(history);
            o.cache_dir = p.value_or("--cache", "");
            o.password = p.value_or("--password", "");
            o.ocr = p.has("--ocr");
            o.word_boxes = p.has("--boxes");
            o.contract = p.has("--contract");
            o.run = run;
            std::vector<source> sources = read_path(path, o).sources;
            run_options quiet = run;
            quiet.progress = {};
            for (source& src : sources) {
                count_tokens(src, count, quiet);
                total += src.total_tokens();
                if (p.has("--json")) doc["sources"].push_back(source_json(src, p.has("--boxes")));
                else print_summary(src);
            }
            if (!p.has("--json")) {
                const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
                std::printf("      read and counted in %.2f s\n", s);
            }
        } catch (const std::exception& e) {
            std::fprintf(stderr, "m1 ingest: %s\n", e.what());
            errors.push_back({{"path", path}, {"message", e.what()}});
            ++failed;
        }
    }
    if (p.has("--json")) {
        doc["total_tokens"] = total;
        doc["errors"] = std::move(errors);
        std::puts(doc.dump(1, ' ', false, json::error_handler_t::replace).c_str());
    } else {
        std::printf("total: %zu tokens in %zu source(s); %d path(s) failed\n", total,
                    p.positional().size() - static_cast<size_t>(failed), failed);
    }
    return failed == 0 ? 0 : 1;
}

}  // namespace m1::cli
