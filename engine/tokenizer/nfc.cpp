// NFC = canonical decomposition, canonical ordering, canonical composition (UAX #15), applied only to the stretches
// of text that the quick check cannot pass.
#include "engine/tokenizer/nfc.h"

#include "engine/tokenizer/nfc_tables.h"
#include "engine/tokenizer/utf8.h"

#include <algorithm>
#include <unordered_map>
#include <utility>
#include <vector>

namespace m1::nfc {
namespace {

// Hangul syllables are composed and decomposed arithmetically (Unicode §3.12).
constexpr uint32_t k_s_base = 0xAC00, k_l_base = 0x1100, k_v_base = 0x1161, k_t_base = 0x11A7;
constexpr uint32_t k_l_count = 19, k_v_count = 21, k_t_count = 28;
constexpr uint32_t k_n_count = k_v_count * k_t_count, k_s_count = k_l_count * k_n_count;
constexpr uint32_t k_cp_count = 0x110000;

// A byte per code point, stored as blocks of 256 with identical blocks shared (~30 KB instead of 1.1 MB).
class cp_table {
public:
    explicit cp_table(const std::vector<uint8_t>& full) {
        m_index.resize(k_cp_count >> 8);
        std::unordered_map<std::string, uint16_t> seen;
        for (uint32_t b = 0; b < (k_cp_count >> 8); ++b) {
            std::string block(reinterpret_cast<const char*>(full.data()) + (size_t(b) << 8), 256);
            auto [it, fresh] = seen.try_emplace(block, static_cast<uint16_t>(seen.size()));
            if (fresh) m_blocks.insert(m_blocks.end(), block.begin(), block.end());
            m_index[b] = it->second;
        }
    }
    uint8_t get(uint32_t cp) const {
        if (cp >= k_cp_count) return 0;
        return static_cast<uint8_t>(m_blocks[(size_t(m_index[cp >> 8]) << 8) | (cp & 0xFF)]);
    }

private:
    std::vector<uint16_t> m_index;
    std::vector<char> m_blocks;
};

struct tables {
    tables(std::vector<uint8_t> ccc_full, std::vector<uint8_t> flags_full)
        : ccc(ccc_full), may_change(flags_full) {}
    cp_table ccc;
    cp_table may_change;  // 1 when NFC_Quick_Check is not Yes or ccc != 0: such a code point may change or move
    std::unordered_map<uint32_t, std::pair<uint32_t, uint32_t>> decomposition;  // one level, second 0 = singleton
    std::unordered_map<uint64_t, uint32_t> composition;                        // (first << 32 | second) -> primary composite
};

const tables& get_tables() {
    static const tables t = [] {
        using namespace nfc_data;
        std::vector<uint8_t> ccc(k_cp_count, 0), flags(k_cp_count, 0);
        for (size_t i = 0; i + 2 < k_ccc_ranges_size; i += 3)
            for (uint32_t cp = k_ccc_ranges[i]; cp <= k_ccc_ranges[i + 1]; ++cp) ccc[cp] = uint8_t(k_ccc_ranges[i + 2]);

        std::unordered_map<uint32_t, std::pair<uint32_t, uint32_t>> dec;
        for (size_t i = 0; i + 2 < k_decompositions_size; i += 3)
            dec[k_decompositions[i]] = {k_decompositions[i + 1], k_decompositions[i + 2]};
        std::vector<bool> excluded(k_cp_count, false);
        for (size_t i = 0; i < k_composition_exclusions_size; ++i) excluded[k_composition_exclusions[i]] = true;

        std::unordered_map<uint64_t, uint32_t> comp;
        for (const auto& [cp, parts] : dec) {
            // Full_Composition_Exclusion: listed exclusions, singletons, and non-starter decompositions.
            const bool full_exclusion =
                excluded[cp] || parts.second == 0 || ccc[cp] != 0 || ccc[parts.first] != 0;
            if (full_exclusion) {
                flags[cp] = 1;  // NFC_QC = No
            } else {
                comp[(uint64_t(parts.first) << 32) | parts.second] = cp;
                flags[parts.second] = 1;  // can combine with a preceding character: NFC_QC = Maybe
            }
        }
        for (uint32_t cp = k_v_base; cp < k_v_base + k_v_count; ++cp) flags[cp] = 1;
        for (uint32_t cp = k_t_base + 1; cp < k_t_base + k_t_count; ++cp) flags[cp] = 1;
        for (uint32_t cp = 0; cp < k_cp_count; ++cp)
            if (ccc[cp] != 0) flags[cp] = 1;

        tables built(std::move(ccc), std::move(flags));
        built.decomposition = std::move(dec);
        built.composition = std::move(comp);
        return built;
    }();
    return t;
}

void decompose(const tables& t, uint32_t cp, std::vector<uint32_t>& out) {
    if (cp >= k_s_base && cp < k_s_base + k_s_count) {
        const uint32_t s = cp - k_s_base;
        out.push_back(k_l_base + s / k_n_count);
        out.push_back(k_v_base + (s % k_n_count) / k_t_count);
        if (s % k_t_count != 0) out.push_back(k_t_base + s % k_t_count);
        return;
    }
    const auto it = t.decomposition.find(cp);
    if (it == t.decomposition.end()) {
        out.push_back(cp);
        return;
    }
    decompose(t, it->second.first, out);
    if (it->second.second != 0) decompose(t, it->second.second, out);
}

// The primary composite of (a, b), or 0 when there is none.
uint32_t compose_pair(const tables& t, uint32_t a, uint32_t b) {
    if (a >= k_l_base && a < k_l_base + k_l_count && b >= k_v_base && b < k_v_base + k_v_count)
        return k_s_base + ((a - k_l_base) * k_v_count + (b - k_v_base)) * k_t_count;
    if (a >= k_s_base && a < k_s_base + k_s_count && (a - k_s_base) % k_t_count == 0 && b > k_t_base &&
        b < k_t_base + k_t_count)
        return a + (b - k_t_base);
    const auto it = t.composition.find((uint64_t(a) << 32) | b);
    return it == t.composition.end() ? 0 : it->second;
}

// NFC of a stretch of code points, in place.
void normalize_code_points(const tables& t, std::vector<uint32_t>& cps) {
    // Canonical ordering: a stable sort by class inside every run of non-starters (runs are short: insertion sort).
    for (size_t i = 1; i < cps.size(); ++i) {
        const uint8_t c = t.ccc.get(cps[i]);
        if (c == 0) continue;
        for (size_t j = i; j > 0; --j) {
            const uint8_t prev = t.ccc.get(cps[j - 1]);
            if (prev == 0 || prev <= c) break;
            std::swap(cps[j - 1], cps[j]);
        }
    }
    if (cps.empty()) return;
    // Canonical composition: a character combines with the last starter unless a character between them has a
    // class >= its own (blocked), or it directly follows a starter that is not the last starter.
    size_t starter = 0;
    int last_class = t.ccc.get(cps[0]) == 0 ? 0 : 256;  // no starter yet: nothing may combine
    size_t kept = 1;
    for (size_t i = 1; i < cps.size(); ++i) {
        const uint32_t c = cps[i];
        const int cls = t.ccc.get(c);
        const uint32_t composite = last_class == 256 ? 0 : compose_pair(t, cps[starter], c);
        if (composite != 0 && (last_class < cls || last_class == 0)) {
            cps[starter] = composite;
            continue;
        }
        if (cls == 0) starter = kept;
        last_class = cls;
        cps[kept++] = c;
    }
    cps.resize(kept);
}

}  // namespace

uint8_t combining_class(uint32_t cp) { return get_tables().ccc.get(cp); }

bool normalize(std::string_view text, std::string& out) {
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const size_t n = text.size();
    const tables* t = nullptr;  // looked up only when a non-ASCII byte appears
    bool changed = false;
    size_t copied = 0;     // text[0, copied) is already in `out`
    size_t last_safe = 0;  // start of the last code point that passed the quick check
    std::vector<uint32_t> cps;
    size_t i = 0;
    while (i < n) {
        if (p[i] < 0x80) {  // every code point below U+0300 passes the quick check
            last_safe = i++;
            continue;
        }
        if (!t) t = &get_tables();
        const utf8::step st = utf8::next(p + i, n - i);
        if (!st.ok || !t->may_change.get(st.cp)) {
            last_safe = i;
            i += st.ok ? st.len : 1;
            continue;
        }
        // The stretch that may change runs from the last safe code point (a starter that may absorb what follows)
        // to the next safe one (which can neither move nor combine backwards).
        const size_t start = std::max(last_safe, copied);
        size_t end = i + st.len;
        while (end < n) {
            const utf8::step s2 = utf8::next(p + end, n - end);
            if (!s2.ok || !t->may_change.get(s2.cp)) break;
            end += s2.len;
        }
        cps.clear();
        for (size_t k = start; k < end;) {
            const utf8::step s3 = utf8::next(p + k, end - k);
            decompose(*t, s3.cp, cps);
            k += s3.len;
        }
        normalize_code_points(*t, cps);
        if (!changed) {
            out.clear();
            changed = true;
        }
        out.append(text.data() + copied, start - copied);
        for (uint32_t cp : cps) utf8::append(out, cp);
        copied = end;
        last_safe = end;
        i = end;
    }
    if (!changed) return false;
    out.append(text.data() + copied, n - copied);
    return true;
}

std::string to_nfc(std::string_view text) {
    std::string out;
    if (!normalize(text, out)) out.assign(text);
    return out;
}

}  // namespace m1::nfc
