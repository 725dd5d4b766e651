// UTF-8 helpers shared by the tokenizer's normaliser, encoder and decoders. Internal to engine/tokenizer.
//
// Invalid input follows Unicode's "substitution of maximal subparts" (the rule of Rust's String::from_utf8_lossy,
// which HF tokenizers uses when it decodes): each maximal prefix of a well-formed sequence that cannot be completed,
// or a single byte that can start no sequence, becomes one U+FFFD.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace m1::utf8 {

inline constexpr std::string_view k_replacement = "\xEF\xBF\xBD";  // U+FFFD

struct step {
    uint32_t cp;     // the code point when ok
    uint8_t len;     // bytes consumed: the sequence when ok, else the maximal subpart to replace (>= 1)
    bool ok;         // a complete, well-formed sequence
    bool truncated;  // not ok only because the text ended inside a sequence that was valid so far
};

// Reads one sequence at p[0..n), n >= 1.
inline step next(const unsigned char* p, size_t n) {
    const unsigned char b0 = p[0];
    if (b0 < 0x80) return {b0, 1, true, false};
    int need;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    uint32_t cp;
    if (b0 >= 0xC2 && b0 <= 0xDF) { need = 1; cp = b0 & 0x1F; }
    else if (b0 >= 0xE0 && b0 <= 0xEF) {
        need = 2; cp = b0 & 0x0F;
        if (b0 == 0xE0) lo = 0xA0;        // no overlong forms
        else if (b0 == 0xED) hi = 0x9F;   // no surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        need = 3; cp = b0 & 0x07;
        if (b0 == 0xF0) lo = 0x90;
        else if (b0 == 0xF4) hi = 0x8F;   // nothing above U+10FFFF
    } else {
        return {0, 1, false, false};      // 80..C1, F5..FF start nothing
    }
    for (int i = 1; i <= need; ++i) {
        if (static_cast<size_t>(i) >= n) return {0, static_cast<uint8_t>(i), false, true};
        const unsigned char b = p[i];
        const bool in_range = i == 1 ? (b >= lo && b <= hi) : (b >= 0x80 && b <= 0xBF);
        if (!in_range) return {0, static_cast<uint8_t>(i), false, false};
        cp = (cp << 6) | (b & 0x3F);
    }
    return {cp, static_cast<uint8_t>(need + 1), true, false};
}

inline void append(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

// Length of the longest prefix of `s` that is well-formed UTF-8 (== s.size() when all of it is).
inline size_t valid_prefix(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const size_t n = s.size();
    size_t i = 0;
    while (i < n) {
        // Eight ASCII bytes at a time: the common case for source code and English text.
        while (i + 8 <= n) {
            uint64_t w;
            __builtin_memcpy(&w, p + i, 8);
            if (w & 0x8080808080808080ull) break;
            i += 8;
        }
        if (i >= n) break;
        if (p[i] < 0x80) { ++i; continue; }
        const step st = next(p + i, n - i);
        if (!st.ok) return i;
        i += st.len;
    }
    return n;
}

// Appends `s` to `out` with every invalid part replaced by U+FFFD.
inline void append_lossy(std::string& out, std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    size_t i = 0;
    while (i < s.size()) {
        const size_t good = valid_prefix(s.substr(i));
        out.append(s.data() + i, good);
        i += good;
        if (i < s.size()) {
            out.append(k_replacement);
            i += next(p + i, s.size() - i).len;
        }
    }
}

}  // namespace m1::utf8
