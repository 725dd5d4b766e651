#include "ingest/read_any.h"

#include "ingest/contract/clause_segmenter.h"
#include "ingest/docx/docx_reader.h"
#include "ingest/folder_reader.h"
#include "ingest/git/git_reader.h"
#include "ingest/pdf/pdf_reader.h"
#include "ingest/text/text_reader.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>

namespace m1::ingest {
namespace {

namespace fs = std::filesystem;

std::string lower_extension(const std::string& path) {
    std::string ext = fs::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return ext;
}

bool starts_with_pdf_magic(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    char head[5] = {};
    return in.read(head, 5) && std::string(head, 5) == "%PDF-";
}

}  // namespace

read_result read_path(const std::string& path, const read_options& o) {
    read_result out;
    std::error_code ec;
    if (is_git_url(path) || fs::is_directory(path, ec)) {
        if (!is_git_url(path) && !is_git_repository(path)) {
            out.sources = read_folder(path, o);
            out.contract = o.contract;
            return out;
        }
        git_options g;
        g.ref = o.ref.empty() ? "HEAD" : o.ref;
        g.worktree = o.worktree;
        g.filter.include = o.include;
        g.filter.exclude = o.exclude;
        g.history = o.history;
        g.cache_dir = o.cache_dir;
        g.run = o.run;
        git_sources read = read_git(path, g);
        out.sources.push_back(std::move(read.files));
        if (!read.history.segments.empty()) out.sources.push_back(std::move(read.history));
        return out;
    }
    const std::string ext = lower_extension(path);
    if (ext == ".pdf" || (ext != ".docx" && fs::is_regular_file(path, ec) && starts_with_pdf_magic(path))) {
        pdf_options p;
        p.password = o.password;
        p.ocr = o.ocr;
        p.word_boxes = o.word_boxes;
        p.run = o.run;
        source src = read_pdf(path, p);
        if (o.contract) apply_contract_structure(src);
        out.contract = o.contract;
        out.sources.push_back(std::move(src));
        return out;
    }
    if (ext == ".docx") {
        out.sources.push_back(read_docx(path));
        out.contract = true;
        return out;
    }
    out.sources.push_back(read_text_file(path));
    return out;
}

}  // namespace m1::ingest
