// The GPT-2 byte-level alphabet: every byte is written as one printable code point so that BPE vocabularies can be
// stored as text. Bytes 0x21..0x7E, 0xA1..0xAC and 0xAE..0xFF stand for themselves; the other 68 bytes (controls,
// space, DEL, 0x80..0xA0, soft hyphen) become U+0100.. in byte order (space -> U+0120 'Ġ', '\n' -> U+010A 'Ċ').
// Internal to engine/tokenizer.
#pragma once

#include <array>
#include <cstdint>

namespace m1::byte_level {

inline constexpr bool stands_for_itself(unsigned b) {
    return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

// byte -> code point of its symbol
inline constexpr std::array<uint32_t, 256> k_byte_to_cp = [] {
    std::array<uint32_t, 256> table{};
    uint32_t next = 0x100;
    for (unsigned b = 0; b < 256; ++b) table[b] = stands_for_itself(b) ? b : next++;
    return table;
}();

// code point of a symbol -> byte, or -1 when the code point is not a symbol of the alphabet
inline constexpr std::array<int16_t, 0x100 + 68> k_cp_to_byte = [] {
    std::array<int16_t, 0x100 + 68> table{};
    for (auto& v : table) v = -1;
    for (unsigned b = 0; b < 256; ++b) table[k_byte_to_cp[b]] = static_cast<int16_t>(b);
    return table;
}();

inline constexpr int cp_to_byte(uint32_t cp) { return cp < k_cp_to_byte.size() ? k_cp_to_byte[cp] : -1; }

}  // namespace m1::byte_level
