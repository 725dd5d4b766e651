// A compiled PCRE2 pattern (UTF + UCP, JIT when available) for the pre-tokenizer, with the dialect of Oniguruma,
// the engine HF tokenizers uses, where the two differ. Internal to engine/tokenizer.
//
// Ownership: owns its pcre2_code. Thread-safety: find() may be called from any number of threads at once; each
// thread lazily gets its own match data and JIT stack (freed when the thread ends).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace m1 {

class pcre2_regex {
public:
    // Compiles `pattern` (a regex, or a literal string when `literal`). Throws std::runtime_error describing the
    // problem (with the offset in the pattern) when PCRE2 rejects it.
    pcre2_regex(std::string_view pattern, bool literal);
    ~pcre2_regex();
    pcre2_regex(const pcre2_regex&) = delete;
    pcre2_regex& operator=(const pcre2_regex&) = delete;

    // Finds the first match in text[start..] (text must be valid UTF-8 and start on a character boundary). Returns
    // false when there is none. Lookbehind may look at text before `start`, as Rust's find_iter would.
    bool find(std::string_view text, size_t start, size_t& match_begin, size_t& match_end) const;

    const std::string& pattern() const { return m_pattern; }

private:
    std::string m_pattern;  // as given (before the dialect translation)
    void* m_code = nullptr;  // pcre2_code_8*, kept opaque so the header needs no pcre2.h
    bool m_jit = false;
};

// Rewrites the parts of an Oniguruma pattern that PCRE2 reads differently. Today that is only \s and \S:
// Oniguruma's Unicode \s is U+0009..U+000D, U+0085 and the Z categories; PCRE2's also includes U+180E.
std::string oniguruma_to_pcre2(std::string_view pattern);

}  // namespace m1
