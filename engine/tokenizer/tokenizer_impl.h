// What a loaded tokenizer.json becomes: filled by tokenizer_load.cpp, used by tokenizer.cpp. Internal to
// engine/tokenizer. Immutable after loading except the piece cache (thread-safe on its own).
#pragma once

#include "engine/tokenizer/added_tokens.h"
#include "engine/tokenizer/bpe.h"
#include "engine/tokenizer/piece_cache.h"
#include "engine/tokenizer/regex.h"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace m1 {

// One step of the pre-tokenizer, applied to every piece the previous step produced.
struct pretokenize_step {
    enum class kind { split, byte_level };
    enum class behaviour { removed, isolated };  // what happens to the delimiters (HF SplitDelimiterBehavior)
    kind what = kind::split;
    // split: pieces are cut at the matches of `regex`. Without invert the matches are the delimiters; with invert
    // the text between matches is. `removed` drops the delimiters, `isolated` keeps them as pieces of their own.
    std::unique_ptr<pcre2_regex> regex;
    behaviour delimiters = behaviour::removed;
    bool invert = false;
    // byte_level: a space is prepended to a piece that does not start with one (ByteLevel add_prefix_space);
    // with use_regex the piece is then split by GPT-2's pattern (`regex`, isolated).
    bool add_prefix_space = false;
};

// string -> id, looked up by string_view without building a std::string.
struct string_hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using string_id_map = std::unordered_map<std::string, int32_t, string_hash, std::equal_to<>>;

struct tokenizer_impl {
    std::string origin;  // the file it came from, for messages

    // Every id's raw token string (vocab tokens in the byte-level alphabet) and the bytes it decodes to.
    std::vector<std::string> token_texts;  // [size]
    std::string bytes_arena;
    std::vector<uint32_t> bytes_offset;  // [size + 1]: bytes of id i are bytes_arena[offset[i], offset[i+1])
    std::vector<uint8_t> special;        // [size]
    string_id_map id_of_text;

    added_token_matcher added;
    bool nfc = false;
    std::vector<pretokenize_step> steps;

    std::array<int32_t, 256> byte_id{};  // id of the one-byte token of each byte
    bpe_merges merges;
    bool ignore_merges = false;                          // a piece that is a whole vocab token maps to it directly
    string_id_map id_of_bytes;  // filled only when ignore_merges

    piece_cache cache;
};

// Parses a tokenizer.json. Throws tokenizer_error("<origin>: <problem>").
std::unique_ptr<tokenizer_impl> load_tokenizer_json(std::string_view json_text, const std::string& origin);

}  // namespace m1
