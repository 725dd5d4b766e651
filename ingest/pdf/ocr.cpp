#include "ingest/pdf/ocr.h"

#include <memory>
#include <stdexcept>

#ifdef M1_HAVE_TESSERACT
#include <tesseract/baseapi.h>
#endif

namespace m1::ingest::pdf {

#ifdef M1_HAVE_TESSERACT

bool ocr_available() { return true; }

std::string ocr_gray8(const uint8_t* pixels, int width, int height, int stride, int dpi, const std::string& language) {
    tesseract::TessBaseAPI api;  // End() runs in its destructor
    // nullptr: Tesseract's compiled-in data folder, or TESSDATA_PREFIX when set.
    if (api.Init(nullptr, language.c_str()) != 0)
        throw std::runtime_error("Tesseract could not load language '" + language +
                                 "' (install tesseract-ocr-" + language + " or set TESSDATA_PREFIX)");
    api.SetPageSegMode(tesseract::PSM_AUTO);
    api.SetImage(pixels, width, height, 1, stride);
    api.SetSourceResolution(dpi);
    std::unique_ptr<char[]> text(api.GetUTF8Text());
    return text ? std::string(text.get()) : std::string();
}

#else

bool ocr_available() { return false; }

std::string ocr_gray8(const uint8_t*, int, int, int, int, const std::string&) {
    throw std::runtime_error("OCR is not available: this build has no Tesseract (install libtesseract-dev)");
}

#endif

}  // namespace m1::ingest::pdf
