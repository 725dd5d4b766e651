#define PCRE2_CODE_UNIT_WIDTH 8
#include "engine/tokenizer/regex.h"

#include <pcre2.h>

#include <stdexcept>

namespace m1 {
namespace {

// One match data object, match context and JIT stack per thread, shared by every pattern: a match needs only the
// overall match offsets, so one ovector pair fits all patterns.
struct thread_match_state {
    pcre2_match_data* data = pcre2_match_data_create(1, nullptr);
    pcre2_match_context* context = pcre2_match_context_create(nullptr);
    // Long runs (a megabyte of spaces) can need more than PCRE2's default 32 KiB machine stack.
    pcre2_jit_stack* jit_stack = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, nullptr);

    thread_match_state() {
        if (!data || !context || !jit_stack) throw std::bad_alloc();
        pcre2_jit_stack_assign(context, nullptr, jit_stack);
    }
    ~thread_match_state() {
        pcre2_jit_stack_free(jit_stack);
        pcre2_match_context_free(context);
        pcre2_match_data_free(data);
    }
};

thread_match_state& match_state() {
    thread_local thread_match_state state;
    return state;
}

std::string pcre2_message(int code) {
    PCRE2_UCHAR buffer[256];
    if (pcre2_get_error_message(code, buffer, sizeof buffer) < 0) return "PCRE2 error " + std::to_string(code);
    return reinterpret_cast<const char*>(buffer);
}

constexpr std::string_view k_onig_space_items = "\\t-\\r\\x{85}\\p{Z}";

}  // namespace

std::string oniguruma_to_pcre2(std::string_view p) {
    std::string out;
    out.reserve(p.size() + 32);
    bool in_class = false;
    for (size_t i = 0; i < p.size(); ++i) {
        const char c = p[i];
        if (c == '\\' && i + 1 < p.size()) {
            const char e = p[++i];
            if (e == 's') {
                if (in_class) out += k_onig_space_items;
                else out += "[" + std::string(k_onig_space_items) + "]";
            } else if (e == 'S' && !in_class) {
                out += "[^" + std::string(k_onig_space_items) + "]";
            } else {
                out += c;  // other escapes mean the same in both (\S inside a class keeps PCRE2's, off only at U+180E)
                out += e;
            }
            continue;
        }
        if (!in_class && c == '[') {
            in_class = true;
            out += c;
            if (i + 1 < p.size() && p[i + 1] == '^') out += p[++i];
            if (i + 1 < p.size() && p[i + 1] == ']') out += p[++i];  // a leading ']' is a literal
            continue;
        }
        if (in_class && c == '[' && i + 1 < p.size() && p[i + 1] == ':') {  // POSIX class [:alpha:]
            const size_t close = p.find(":]", i + 2);
            if (close != std::string_view::npos) {
                out.append(p.substr(i, close + 2 - i));
                i = close + 1;
                continue;
            }
        }
        if (in_class && c == ']') in_class = false;
        out += c;
    }
    return out;
}

pcre2_regex::pcre2_regex(std::string_view pattern, bool literal) : m_pattern(pattern) {
    const std::string compiled = literal ? std::string(pattern) : oniguruma_to_pcre2(pattern);
    int error = 0;
    PCRE2_SIZE offset = 0;
    // PCRE2 refuses UCP together with LITERAL; a literal has no character classes for UCP to affect anyway.
    const uint32_t options = literal ? PCRE2_UTF | PCRE2_LITERAL : PCRE2_UTF | PCRE2_UCP;
    pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(compiled.data()), compiled.size(), options, &error,
                                     &offset, nullptr);
    if (!code)
        throw std::runtime_error("the pre-tokenizer regex does not compile at offset " + std::to_string(offset) +
                                 ": " + pcre2_message(error));
    m_code = code;
    // Without JIT support (some architectures) PCRE2's interpreter gives the same matches, only slower.
    m_jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
}

pcre2_regex::~pcre2_regex() { pcre2_code_free(static_cast<pcre2_code*>(m_code)); }

bool pcre2_regex::find(std::string_view text, size_t start, size_t& match_begin, size_t& match_end) const {
    thread_match_state& st = match_state();
    auto* code = static_cast<const pcre2_code*>(m_code);
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    // The tokenizer validates UTF-8 before matching, so PCRE2's own check would only cost time.
    const int rc = m_jit ? pcre2_jit_match(code, subject, text.size(), start, 0, st.data, st.context)
                         : pcre2_match(code, subject, text.size(), start, PCRE2_NO_UTF_CHECK, st.data, st.context);
    if (rc == PCRE2_ERROR_NOMATCH) return false;
    if (rc < 0) throw std::runtime_error("the pre-tokenizer regex failed: " + pcre2_message(rc));
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(st.data);
    match_begin = ovector[0];
    match_end = ovector[1];
    return true;
}

}  // namespace m1
