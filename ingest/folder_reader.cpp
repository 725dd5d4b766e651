#include "ingest/folder_reader.h"

#include "ingest/contract/clause_segmenter.h"
#include "ingest/docx/docx_reader.h"
#include "ingest/git/file_filter.h"
#include "ingest/pdf/pdf_reader.h"
#include "ingest/text/text_reader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace m1::ingest {
namespace {

namespace fs = std::filesystem;

std::string lower_extension(const fs::path& p) {
    std::string ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return ext;
}

}  // namespace

std::vector<source> read_folder(const std::string& path, const read_options& o) {
    file_filter filter;
    filter.include = o.include;
    filter.exclude = o.exclude;
    source text;
    text.kind = source_kind::text;
    text.path = path;
    text.title = fs::path(path).filename().string();
    if (text.title.empty()) text.title = fs::path(path).parent_path().filename().string();

    // Walk in sorted order so sources and segments come out the same on every run.
    std::vector<std::string> files, documents;
    std::error_code ec;
    fs::recursive_directory_iterator it(path, fs::directory_options::none, ec), end;
    if (ec) throw ingest_error(path + ": cannot list the folder: " + ec.message());
    for (; it != end; it.increment(ec)) {
        if (ec) throw ingest_error(path + ": cannot list the folder: " + ec.message());
        const fs::directory_entry& e = *it;
        const std::string rel = fs::relative(e.path(), path, ec).generic_string();
        if (e.is_symlink(ec)) {
            if (e.is_directory(ec)) it.disable_recursion_pending();
            text.skipped.push_back({rel, "symbolic link"});
            continue;
        }
        if (e.is_directory(ec)) {
            const std::string name = e.path().filename().string();
            std::string why = name.starts_with(".") ? "hidden" : fs::exists(e.path() / ".git", ec) ? "nested repository" : "";
            if (why.empty() && o.include.empty() && path_exclusion(filter, rel + "/x") == "vendored") why = "vendored";
            if (!why.empty()) {
                it.disable_recursion_pending();
                text.skipped.push_back({rel + "/", why});
            }
            continue;
        }
        if (!e.is_regular_file(ec)) continue;
        const std::string ext = lower_extension(e.path());
        if (std::string why = path_exclusion(filter, rel); !why.empty()) text.skipped.push_back({rel, why});
        else if (ext == ".pdf" || ext == ".docx") documents.push_back(rel);
        else files.push_back(rel);
    }
    std::sort(files.begin(), files.end());
    std::sort(documents.begin(), documents.end());

    std::vector<source> out;
    for (const std::string& rel : documents) {
        const std::string full = (fs::path(path) / rel).string();
        try {
            if (lower_extension(rel) == ".docx") {
                out.push_back(read_docx(full));
            } else {
                pdf_options p;
                p.password = o.password;
                p.ocr = o.ocr;
                p.word_boxes = o.word_boxes;
                p.run = o.run;
                out.push_back(read_pdf(full, p));
                if (o.contract) apply_contract_structure(out.back());
            }
        } catch (const ingest_cancelled&) {
            throw;
        } catch (const ingest_error& e) {
            text.skipped.push_back({rel, e.what()});
        }
    }

    struct result {
        std::string skip_reason;
        std::vector<segment> segments;
    };
    std::vector<result> results(files.size());
    run_state state(o.run, files.size());
    parallel_for(files.size(), worker_count(o.run, files.size()), state, [&](size_t i, unsigned) {
        const fs::path full = fs::path(path) / files[i];
        std::error_code fec;
        const size_t size = static_cast<size_t>(fs::file_size(full, fec));
        std::string bytes;
        if (!fec && size <= filter.max_file_bytes) {
            std::ifstream in(full, std::ios::binary);
            std::ostringstream buf;
            buf << in.rdbuf();
            bytes = buf.str();
        }
        results[i].skip_reason = fec ? "cannot be read: " + fec.message() : content_exclusion(filter, files[i], size, bytes);
        if (results[i].skip_reason.empty()) results[i].segments = split_lines(bytes, files[i]);
        state.finished(files[i]);
    });
    state.throw_if_cancelled(path);
    size_t read = 0;
    for (size_t i = 0; i < files.size(); ++i) {
        if (!results[i].skip_reason.empty()) {
            text.skipped.push_back({files[i], results[i].skip_reason});
            continue;
        }
        ++read;
        for (segment& s : results[i].segments) text.segments.push_back(std::move(s));
    }
    std::sort(text.skipped.begin(), text.skipped.end(),
              [](const skipped_file& a, const skipped_file& b) { return a.file < b.file; });
    text.metadata = {{"folder", "yes"}, {"files", std::to_string(read)}, {"skipped", std::to_string(text.skipped.size())}};
    if (!text.segments.empty() || !text.skipped.empty() || out.empty()) out.insert(out.begin(), std::move(text));
    return out;
}

}  // namespace m1::ingest
