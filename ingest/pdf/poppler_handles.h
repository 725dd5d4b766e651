// Owning handles for the poppler-cpp objects ingest/pdf creates. poppler-cpp hands out raw pointers that the caller
// must delete (document::load_*, document::create_page, document::create_toc); these make that automatic.
// Only ingest/pdf includes this header (and Poppler).
#pragma once

#include <poppler-document.h>
#include <poppler-page.h>
#include <poppler-toc.h>

#include <memory>
#include <string>

namespace m1::ingest::pdf {

using document_ptr = std::unique_ptr<poppler::document>;
using page_ptr = std::unique_ptr<poppler::page>;
using toc_ptr = std::unique_ptr<poppler::toc>;

// poppler::ustring (UTF-16 internally) to UTF-8.
inline std::string utf8(const poppler::ustring& s) {
    const poppler::byte_array bytes = s.to_utf8();
    return std::string(bytes.begin(), bytes.end());
}

}  // namespace m1::ingest::pdf
