// Byte-level BPE tokenizer loaded from a Hugging Face tokenizer.json (the MiniMax-M1 one: spec §6).
//
// Pipeline of encode(), identical to HF `tokenizers` for the settings it accepts:
//   1. added tokens (special or not) are matched on the raw text first, longest match wins;
//   2. the ordinary text between them is NFC-normalised (when the JSON asks for NFC);
//   3. the Split pre-tokenizer regex (read from the JSON, run by PCRE2 with UTF + UCP, JIT, with \s and \S read
//      as Oniguruma, HF's regex engine, reads them) cuts it into pieces;
//   4. each piece's bytes are mapped to the GPT-2 byte-level alphabet and BPE merges are applied by rank.
// Settings the loader does not implement are refused with a tokenizer_error, never silently ignored.
//
// Invalid UTF-8 input: HF's Python binding only ever sees valid str, so it has no behaviour to copy. Here each
// maximal invalid subsequence is replaced by U+FFFD (EF BF BD) before normalisation, exactly as Rust's
// String::from_utf8_lossy and the WHATWG decoder do (e.g. "a\xFFb" encodes as "a\uFFFDb"). decode() never fails: token
// bytes that do not form valid UTF-8 (a piece cut inside a character) are likewise replaced by U+FFFD in the
// complete text; stream_decoder holds an incomplete tail back instead of replacing it.
//
// Ownership and threads: a tokenizer is immutable after load() except for its internal piece cache, which is
// guarded; encode, count, decode, token_id, token_text, size and is_special may be called from any number of
// threads at once on one tokenizer. A stream_decoder is single-threaded and must not outlive its tokenizer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace m1 {

// Thrown by load/from_json. what() starts with the file (or origin) and says what is wrong with it.
struct tokenizer_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct tokenizer_impl;

class tokenizer {
public:
    // Reads a tokenizer.json. Throws tokenizer_error "<path>: <problem>" when it cannot be read, is not valid JSON
    // (with line and column), or asks for a model type or setting this implementation does not support.
    static std::unique_ptr<tokenizer> load(const std::string& path);
    // Same from text already in memory; `origin` names it in error messages.
    static std::unique_ptr<tokenizer> from_json(std::string_view json_text, const std::string& origin);

    ~tokenizer();
    tokenizer(const tokenizer&) = delete;
    tokenizer& operator=(const tokenizer&) = delete;

    // Token ids of `text`: added/special tokens are recognised, nothing (no BOS/EOS) is added.
    std::vector<int32_t> encode(std::string_view text) const;
    // == encode(text).size(), without building the id vector.
    size_t count(std::string_view text) const;
    // The complete UTF-8 text of `ids` (special tokens as their text). Ids outside [0, size()) or unassigned ids
    // contribute nothing; byte sequences that are not valid UTF-8 become U+FFFD (see the top of this file).
    std::string decode(std::span<const int32_t> ids) const;

    // Added/special or vocabulary token string -> id, or -1 when unknown.
    int32_t token_id(std::string_view token) const;
    // Raw token string (byte-level alphabet for vocabulary tokens, e.g. "Ġthe"); empty for an unknown id.
    std::string token_text(int32_t id) const;
    // Number of ids defined (max id + 1); 200036 for MiniMax-M1.
    size_t size() const;
    bool is_special(int32_t id) const;

    // The raw bytes that `id` stands for (special tokens: their UTF-8 text); empty for an unknown id.
    std::string_view token_bytes(int32_t id) const;

private:
    explicit tokenizer(std::unique_ptr<tokenizer_impl> impl);
    std::unique_ptr<tokenizer_impl> m_impl;
};

// Streaming decode for generation: push() returns the text that is complete so far and holds back an incomplete
// UTF-8 sequence until the bytes that complete it arrive. Invalid sequences become U+FFFD as soon as they are known
// to be invalid. finish() flushes what is left (an incomplete tail becomes U+FFFD). Not thread-safe; borrows the
// tokenizer, which must outlive it.
class stream_decoder {
public:
    explicit stream_decoder(const tokenizer& tok);
    std::string push(int32_t id);
    std::string finish();

private:
    const tokenizer& m_tok;
    std::string m_pending;  // bytes of an incomplete UTF-8 sequence, at most 3
};

}  // namespace m1
