#include "engine/tokenizer/added_tokens.h"

#include <algorithm>
#include <cstring>

namespace m1 {

void added_token_matcher::add(std::string content, int32_t id) {
    if (content.empty()) return;
    m_tokens.push_back({std::move(content), id});
}

void added_token_matcher::finalize() {
    for (auto& list : m_by_first_byte) list.clear();
    for (uint32_t i = 0; i < m_tokens.size(); ++i)
        m_by_first_byte[static_cast<unsigned char>(m_tokens[i].content[0])].push_back(i);
    int distinct = 0;
    for (unsigned b = 0; b < 256; ++b) {
        auto& list = m_by_first_byte[b];
        if (list.empty()) continue;
        ++distinct;
        m_single_first_byte = static_cast<int>(b);
        std::stable_sort(list.begin(), list.end(), [&](uint32_t a, uint32_t c) {
            return m_tokens[a].content.size() > m_tokens[c].content.size();
        });
    }
    if (distinct != 1) m_single_first_byte = -1;
}

bool added_token_matcher::find(std::string_view text, size_t from, match& out) const {
    if (m_tokens.empty()) return false;
    const char* base = text.data();
    const size_t n = text.size();
    for (size_t i = from; i < n; ++i) {
        if (m_single_first_byte >= 0) {
            const void* hit = std::memchr(base + i, m_single_first_byte, n - i);
            if (!hit) return false;
            i = static_cast<size_t>(static_cast<const char*>(hit) - base);
        }
        const auto& candidates = m_by_first_byte[static_cast<unsigned char>(base[i])];
        for (uint32_t k : candidates) {
            const std::string& c = m_tokens[k].content;
            if (c.size() <= n - i && std::memcmp(base + i, c.data(), c.size()) == 0) {
                out = {i, c.size(), m_tokens[k].id};
                return true;
            }
        }
    }
    return false;
}

}  // namespace m1
