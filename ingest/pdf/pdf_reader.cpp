#include "ingest/pdf/pdf_reader.h"

#include "ingest/core/text_util.h"

#include "ingest/pdf/ocr.h"
#include "ingest/pdf/poppler_handles.h"

#include <poppler-image.h>
#include <poppler-page-renderer.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

namespace m1::ingest {
namespace {

using pdf::document_ptr;
using pdf::page_ptr;
using pdf::utf8;

// Poppler prints parser complaints on stderr through one process-wide hook; the reader reports its own clear
// error instead, so the hook is set to drop them (once, for the whole process).
void quiet_poppler() {
    static std::once_flag once;
    std::call_once(once, [] { poppler::set_debug_error_function([](const std::string&, void*) {}, nullptr); });
}

std::string read_bytes(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) throw ingest_error(path + ": is a folder, not a PDF file");
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ingest_error(path + ": cannot open the file for reading");
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

document_ptr open_document(const std::string& data, const std::string& password) {
    return document_ptr(poppler::document::load_from_raw_data(data.data(), static_cast<int>(data.size()), password,
                                                              password));
}


void collect_outline(const poppler::toc_item* item, int level, std::vector<outline_entry>& out) {
    for (const poppler::toc_item* child : item->children()) {
        out.push_back({utf8(child->title()), level, 0});
        collect_outline(child, level + 1, out);
    }
}

// See pdf_reader.h: an entry's page is the first page (from the previous entry's page on) with a line that starts
// with the entry's title.
void resolve_outline_pages(std::vector<outline_entry>& outline, const std::vector<std::string>& page_texts) {
    int from = 0;
    for (outline_entry& e : outline) {
        const std::string title = collapse_whitespace(e.title, /*lowercase=*/true);
        if (title.empty()) continue;
        for (int p = from; p < static_cast<int>(page_texts.size()) && e.page == 0; ++p) {
            std::istringstream lines(page_texts[p]);
            for (std::string line; std::getline(lines, line);) {
                if (collapse_whitespace(line, /*lowercase=*/true).starts_with(title)) {
                    e.page = p + 1;
                    from = p;
                    break;
                }
            }
        }
    }
}

struct page_result {
    bool damaged = false;
    page_info info;
    std::string text;
    std::vector<box> boxes;
};

page_result read_page(const poppler::document& doc, int index, const std::string& path, const pdf_options& options) {
    page_result r;
    r.info.number = index + 1;
    page_ptr page(doc.create_page(index));
    if (!page) {  // one damaged page must not cost the others: it is reported like a page without text
        r.damaged = true;
        return r;
    }
    const poppler::rectf rect = page->page_rect(poppler::crop_box);
    r.info.width = rect.width();
    r.info.height = rect.height();
    // Each of text() and text_list() runs Poppler's text extraction over the page once, so text_list() is only
    // asked for when the boxes are wanted.
    r.text = utf8(page->text(poppler::rectf(), poppler::page::non_raw_non_physical_layout));
    r.info.has_text_layer = r.text.find_first_not_of(" \t\r\n\f") != std::string::npos;
    if (r.info.has_text_layer && options.word_boxes) {
        const std::vector<poppler::text_box> words = page->text_list();
        r.boxes.reserve(words.size());
        for (const poppler::text_box& w : words) {
            const poppler::rectf b = w.bbox();
            r.boxes.push_back({b.x(), b.y(), b.width(), b.height()});
        }
    }
    if (!r.info.has_text_layer) r.text.clear();
    if (!r.info.has_text_layer && options.ocr) {
        poppler::page_renderer renderer;
        renderer.set_render_hint(poppler::page_renderer::antialiasing, true);
        renderer.set_render_hint(poppler::page_renderer::text_antialiasing, true);
        renderer.set_image_format(poppler::image::format_gray8);
        const poppler::image img = renderer.render_page(page.get(), options.ocr_dpi, options.ocr_dpi);
        if (!img.is_valid())
            throw ingest_error(path + ": page " + std::to_string(index + 1) + " cannot be rendered for OCR");
        try {
            r.text = pdf::ocr_gray8(reinterpret_cast<const uint8_t*>(img.const_data()), img.width(), img.height(),
                                    img.bytes_per_row(), options.ocr_dpi, options.ocr_language);
        } catch (const std::runtime_error& e) {
            throw ingest_error(path + ": " + e.what());
        }
        r.info.ocr = true;
    }
    return r;
}

}  // namespace

bool pdf_ocr_available() { return pdf::ocr_available(); }

source read_pdf(const std::string& path, const pdf_options& options) {
    quiet_poppler();
    const std::string data = read_bytes(path);
    if (data.empty()) throw ingest_error(path + ": empty file, not a PDF");
    if (data.substr(0, 1024).find("%PDF-") == std::string::npos)
        throw ingest_error(path + ": not a PDF file (no %PDF- header)");
    if (options.ocr && !pdf::ocr_available())
        throw ingest_error(path + ": OCR was requested but this build has no Tesseract (install libtesseract-dev)");

    document_ptr doc = open_document(data, options.password);
    // Poppler gives no reason for a failed load; an /Encrypt entry tells a password problem from damage.
    const bool encrypted_bytes = data.find("/Encrypt") != std::string::npos;
    if (!doc || doc->is_locked()) {
        if (encrypted_bytes || (doc && doc->is_locked()))
            throw ingest_error(path + (options.password.empty() ? ": encrypted; pass --password"
                                                                : ": encrypted, and the password is wrong"));
        throw ingest_error(path + ": damaged or truncated PDF (Poppler cannot read its structure)");
    }
    const int n_pages = doc->pages();
    if (n_pages <= 0) throw ingest_error(path + ": damaged PDF (no pages)");

    source src;
    src.kind = source_kind::pdf;
    src.path = path;
    src.title = utf8(doc->get_title());
    if (src.title.empty()) src.title = std::filesystem::path(path).filename().string();
    src.metadata = {{"title", utf8(doc->get_title())},
                    {"author", utf8(doc->get_author())},
                    {"pages", std::to_string(n_pages)}};
    if (pdf::toc_ptr toc{doc->create_toc()}; toc && toc->root()) collect_outline(toc->root(), 1, src.outline);

    // One document per worker: a poppler::document must not be used by two threads at once.
    run_state state(options.run, static_cast<size_t>(n_pages));
    const unsigned workers = worker_count(options.run, static_cast<size_t>(n_pages));
    std::vector<document_ptr> docs(workers);
    docs[0] = std::move(doc);
    std::vector<page_result> pages(static_cast<size_t>(n_pages));
    parallel_for(pages.size(), workers, state, [&](size_t i, unsigned worker) {
        if (!docs[worker]) {
            docs[worker] = open_document(data, options.password);
            if (!docs[worker]) throw ingest_error(path + ": cannot be reopened for parallel reading");
        }
        pages[i] = read_page(*docs[worker], static_cast<int>(i), path, options);
        state.finished("page " + std::to_string(i + 1));
    });
    state.throw_if_cancelled(path);

    std::vector<std::string> texts;
    std::vector<int> no_text, damaged;
    for (page_result& p : pages) {
        src.pages.push_back(p.info);
        texts.push_back(p.text);
        if (p.damaged) damaged.push_back(p.info.number);
        else if (!p.info.has_text_layer && !p.info.ocr) no_text.push_back(p.info.number);
        if (p.text.empty()) continue;
        segment s;
        s.where.page = p.info.number;
        s.where.boxes = std::move(p.boxes);
        s.text = std::move(p.text);
        src.segments.push_back(std::move(s));
    }
    if (damaged.size() == pages.size()) throw ingest_error(path + ": damaged PDF (no page can be read)");
    resolve_outline_pages(src.outline, texts);
    auto list = [](const std::vector<int>& numbers) {
        std::string out;
        for (int n : numbers) out += (out.empty() ? "" : ", ") + std::to_string(n);
        return out;
    };
    if (!no_text.empty())
        src.warnings.push_back(std::to_string(no_text.size()) + " page(s) without a text layer (" + list(no_text) +
                               "); pass --ocr to read them with Tesseract");
    if (!damaged.empty())
        src.warnings.push_back(std::to_string(damaged.size()) + " damaged page(s) could not be read (" +
                               list(damaged) + ")");
    return src;
}

}  // namespace m1::ingest
