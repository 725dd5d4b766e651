// Finds added (special) tokens in raw text: leftmost match first, and the longest token at that position, like
// the leftmost-longest Aho-Corasick automaton HF tokenizers builds. Added tokens are few (36 for MiniMax-M1), so
// candidates are grouped by first byte and tried longest first. Internal to engine/tokenizer; immutable after
// finalize(), find() is reentrant.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace m1 {

class added_token_matcher {
public:
    void add(std::string content, int32_t id);  // empty contents are ignored, as HF does
    void finalize();
    bool empty() const { return m_tokens.empty(); }

    struct match {
        size_t pos = 0, len = 0;
        int32_t id = -1;
    };
    // The first added token in text[from..], or false.
    bool find(std::string_view text, size_t from, match& out) const;

private:
    struct token {
        std::string content;
        int32_t id;
    };
    std::vector<token> m_tokens;
    std::array<std::vector<uint32_t>, 256> m_by_first_byte;  // indices into m_tokens, longest first
    int m_single_first_byte = -1;  // the only first byte when all tokens share one (memchr then finds candidates)
};

}  // namespace m1
