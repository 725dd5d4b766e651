// Unicode Normalization Form C without ICU, from tables generated out of the Unicode Character Database
// (gen_nfc_tables.py -> nfc_tables.cpp; Unicode 15.0 on Debian 12). Hangul syllables are composed algorithmically.
//
// Cost: text whose code points all pass the NFC quick check (ASCII, most CJK, precomposed Latin) is scanned once
// and not copied. Only the stretches around code points that may change (combining marks, decomposable
// compatibility singletons, conjoining jamo, ...) are decomposed, reordered and recomposed.
// Thread-safety: the tables are built once on first use (thread-safe static); every function is reentrant.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace m1::nfc {

// Writes NFC(text) to `out` and returns true, or returns false (and leaves `out` alone) when `text` is already in NFC.
// `text` must be well-formed UTF-8.
bool normalize(std::string_view text, std::string& out);

// Convenience: NFC(text) as a new string.
std::string to_nfc(std::string_view text);

// Canonical combining class of a code point (0 for starters).
uint8_t combining_class(uint32_t cp);

}  // namespace m1::nfc
