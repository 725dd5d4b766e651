// OCR of a rendered page with Tesseract. Internal to ingest/pdf. Each call creates its own Tesseract engine, so
// calls from several threads at once are safe.
#pragma once

#include <cstdint>
#include <string>

namespace m1::ingest::pdf {

bool ocr_available();

// Recognises the text of an 8-bit grey image (`stride` bytes per row). Throws std::runtime_error (whose message the
// caller prefixes with the file name) when Tesseract or its language data is missing.
std::string ocr_gray8(const uint8_t* pixels, int width, int height, int stride, int dpi, const std::string& language);

}  // namespace m1::ingest::pdf
