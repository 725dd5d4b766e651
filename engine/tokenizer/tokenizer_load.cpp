// tokenizer.json -> tokenizer_impl. Accepts the subset of HF tokenizers' format that byte-level BPE models use and
// refuses every other setting by name, so a tokenizer is never silently encoded differently from HF.
#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/tokenizer_impl.h"
#include "engine/tokenizer/tokenizer_json.h"
#include "engine/tokenizer/utf8.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace m1 {
namespace {

using json = nlohmann::json;

// GPT-2's pre-tokenizer pattern, used by ByteLevel with use_regex (the pattern HF tokenizers hard-codes).
constexpr std::string_view k_gpt2_pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

class loader {
public:
    explicit loader(const std::string& origin) : m_origin(origin) {}

    [[noreturn]] void fail(const std::string& problem) const { throw tokenizer_error(m_origin + ": " + problem); }

    std::string type_of(const json& j, const char* what) const {
        if (!j.is_object()) fail(std::string(what) + " is not a JSON object");
        const auto it = j.find("type");
        if (it == j.end() || !it->is_string()) fail(std::string(what) + " has no \"type\"");
        return it->get<std::string>();
    }

    bool flag(const json& obj, const char* key, bool fallback) const {
        const auto it = obj.find(key);
        if (it == obj.end() || it->is_null()) return fallback;
        if (!it->is_boolean()) fail(std::string("\"") + key + "\" must be true or false");
        return it->get<bool>();
    }

    void normalizer(const json& j, tokenizer_impl& t) const {
        if (j.is_null()) return;
        const std::string type = type_of(j, "the normalizer");
        if (type == "NFC") {
            t.nfc = true;
        } else if (type == "Sequence") {
            for (const json& n : j.at("normalizers")) normalizer(n, t);
        } else {
            fail("normalizer type \"" + type + "\" is not supported (only NFC, alone or in a Sequence)");
        }
    }

    void pre_tokenizer(const json& j, tokenizer_impl& t, bool& byte_level) const {
        if (j.is_null()) return;
        const std::string type = type_of(j, "the pre_tokenizer");
        pretokenize_step step;
        if (type == "Sequence") {
            for (const json& p : j.at("pretokenizers")) pre_tokenizer(p, t, byte_level);
            return;
        } else if (type == "Split") {
            const json& pattern = j.at("pattern");
            bool literal;
            std::string text;
            if (pattern.contains("Regex")) {
                literal = false;
                text = pattern.at("Regex").get<std::string>();
            } else if (pattern.contains("String")) {
                literal = true;
                text = pattern.at("String").get<std::string>();
            } else {
                fail("the Split pre-tokenizer's pattern is neither {\"Regex\": ...} nor {\"String\": ...}");
            }
            const std::string behaviour = j.value("behavior", std::string("Removed"));
            if (behaviour == "Removed") step.delimiters = pretokenize_step::behaviour::removed;
            else if (behaviour == "Isolated") step.delimiters = pretokenize_step::behaviour::isolated;
            else fail("Split behavior \"" + behaviour + "\" is not supported (only Removed and Isolated)");
            step.invert = flag(j, "invert", false);
            step.regex = compile(text, literal);
        } else if (type == "ByteLevel") {
            byte_level = true;
            step.what = pretokenize_step::kind::byte_level;
            step.add_prefix_space = flag(j, "add_prefix_space", true);  // HF's defaults
            if (flag(j, "use_regex", true)) {
                step.regex = compile(k_gpt2_pattern, false);
                step.delimiters = pretokenize_step::behaviour::isolated;  // every match is a piece, as in HF
            }
        } else {
            fail("pre_tokenizer type \"" + type + "\" is not supported (only Split, ByteLevel and Sequence)");
        }
        t.steps.push_back(std::move(step));
    }

    std::unique_ptr<pcre2_regex> compile(std::string_view pattern, bool literal) const {
        try {
            return std::make_unique<pcre2_regex>(pattern, literal);
        } catch (const std::runtime_error& e) {
            fail(e.what());
        }
    }

    void model(const json& m, tokenizer_json& data, tokenizer_impl& t,
               std::vector<std::pair<std::string, int32_t>>& vocab) const {
        const std::string type = type_of(m, "the model");
        if (type != "BPE")
            fail("model type \"" + type + "\" is not supported: only byte-level BPE tokenizers can be loaded");
        if (m.contains("dropout") && !m["dropout"].is_null() && m["dropout"].get<double>() != 0.0)
            fail("BPE dropout is not supported");
        if (flag(m, "byte_fallback", false)) fail("BPE byte_fallback is not supported");
        for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
            const auto it = m.find(key);
            if (it != m.end() && !it->is_null() && !it->get<std::string>().empty())
                fail(std::string("BPE ") + key + " is not supported");
        }
        t.ignore_merges = flag(m, "ignore_merges", false);
        if (!data.has_vocab) fail("the model's vocab is missing or not a JSON object");
        if (!data.has_merges) fail("the model's merges are missing or not a JSON array");
        vocab.reserve(data.vocab.size());
        for (auto& [text, id] : data.vocab) {
            if (id < 0 || id > INT32_MAX / 2) fail("vocab token \"" + text + "\" has id " + std::to_string(id));
            vocab.emplace_back(std::move(text), static_cast<int32_t>(id));
        }
    }

    void merges(const tokenizer_json& data, tokenizer_impl& t,
                const string_id_map& vocab) const {
        size_t rank = 0;
        std::string joined;
        for (const auto& [left, right] : data.merges) {
            joined.assign(left).append(right);
            const auto l = vocab.find(left), r = vocab.find(right), lr = vocab.find(joined);
            if (l == vocab.end() || r == vocab.end() || lr == vocab.end())
                fail("merge " + std::to_string(rank) + " (\"" + left + "\", \"" + right +
                     "\") uses or makes a token that is not in the vocab");
            t.merges.add(l->second, r->second, lr->second);
            ++rank;
        }
    }

private:
    const std::string& m_origin;
};

// The bytes a token decodes to, as HF's ByteLevel decoder computes them: each character mapped back through the
// byte-level alphabet, or the token's own UTF-8 when any character is outside that alphabet.
std::string token_bytes_of(const std::string& text) {
    std::string out;
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    for (size_t i = 0; i < text.size();) {
        const utf8::step st = utf8::next(p + i, text.size() - i);
        const int b = st.ok ? byte_level::cp_to_byte(st.cp) : -1;
        if (b < 0) return text;
        out.push_back(static_cast<char>(b));
        i += st.len;
    }
    return out;
}

std::string strip_json_prefix(const std::string& what) {
    // nlohmann's messages start with "[json.exception.parse_error.101] "; the rest names line and column.
    const size_t close = what.find("] ");
    return close == std::string::npos ? what : what.substr(close + 2);
}

}  // namespace

std::unique_ptr<tokenizer_impl> load_tokenizer_json(std::string_view json_text, const std::string& origin) {
    loader L(origin);
    tokenizer_json data;
    try {
        data = read_tokenizer_json(json_text);
    } catch (const json::parse_error& e) {
        L.fail("not valid JSON: " + strip_json_prefix(e.what()));
    } catch (const json::exception& e) {
        L.fail("unexpected content: " + strip_json_prefix(e.what()));
    } catch (const std::runtime_error& e) {
        L.fail(e.what());
    }
    const json& root = data.root;
    auto t = std::make_unique<tokenizer_impl>();
    t->origin = origin;
    try {
        if (!root.is_object()) L.fail("not a tokenizer.json: the top level is not a JSON object");
        if (!root.contains("model")) L.fail("not a tokenizer.json: there is no \"model\"");
        for (const char* key : {"truncation", "padding"})
            if (root.contains(key) && !root[key].is_null()) L.fail(std::string("\"") + key + "\" is not supported");

        std::vector<std::pair<std::string, int32_t>> vocab;
        L.model(root.at("model"), data, *t, vocab);
        L.normalizer(root.value("normalizer", json()), *t);
        bool byte_level = false;
        L.pre_tokenizer(root.value("pre_tokenizer", json()), *t, byte_level);
        if (!byte_level)
            L.fail("the pre_tokenizer has no ByteLevel step: only byte-level BPE tokenizers are supported");
        const json decoder = root.value("decoder", json());
        if (decoder.is_null() || L.type_of(decoder, "the decoder") != "ByteLevel")
            L.fail("the decoder must be ByteLevel (found " +
                   (decoder.is_null() ? std::string("none") : L.type_of(decoder, "the decoder")) + ")");
        const json post = root.value("post_processor", json());
        if (!post.is_null() && L.type_of(post, "the post_processor") != "ByteLevel")
            L.fail("post_processor type \"" + L.type_of(post, "the post_processor") +
                   "\" is not supported (encode adds nothing; only none or ByteLevel)");

        // Added tokens: id, content, and flags we only accept at their plain values.
        std::vector<std::tuple<std::string, int32_t, bool>> added;
        for (const json& a : root.value("added_tokens", json::array())) {
            const std::string content = a.at("content").get<std::string>();
            for (const char* key : {"lstrip", "rstrip", "single_word"})
                if (L.flag(a, key, false)) L.fail("added token \"" + content + "\" sets " + key + ", not supported");
            if (L.flag(a, "normalized", false) && t->nfc)
                L.fail("added token \"" + content + "\" is matched after normalisation, not supported");
            const int64_t id = a.at("id").get<int64_t>();
            if (id < 0 || id > INT32_MAX / 2) L.fail("added token \"" + content + "\" has id " + std::to_string(id));
            added.emplace_back(content, static_cast<int32_t>(id), L.flag(a, "special", false));
        }

        // The id space: vocab first, added tokens override (HF looks added tokens up first).
        int32_t max_id = -1;
        for (const auto& [text, id] : vocab) max_id = std::max(max_id, id);
        for (const auto& [text, id, special] : added) max_id = std::max(max_id, id);
        const size_t size = static_cast<size_t>(max_id + 1);
        t->token_texts.assign(size, std::string());
        t->special.assign(size, 0);
        string_id_map vocab_ids;
        vocab_ids.reserve(vocab.size());
        for (auto& [text, id] : vocab) {
            vocab_ids.emplace(text, id);
            t->token_texts[id] = text;
        }
        for (const auto& [text, id, special] : added) {
            t->token_texts[id] = text;
            t->special[id] = special ? 1 : 0;
            t->added.add(text, id);
        }
        t->added.finalize();

        t->bytes_offset.assign(size + 1, 0);
        for (size_t id = 0; id < size; ++id) {
            t->bytes_arena += token_bytes_of(t->token_texts[id]);
            t->bytes_offset[id + 1] = static_cast<uint32_t>(t->bytes_arena.size());
        }

        for (unsigned b = 0; b < 256; ++b) {
            std::string symbol;
            utf8::append(symbol, byte_level::k_byte_to_cp[b]);
            const auto it = vocab_ids.find(symbol);
            if (it == vocab_ids.end()) {
                char hex[8];
                std::snprintf(hex, sizeof hex, "0x%02X", b);
                L.fail(std::string("the vocab has no token for byte ") + hex + " (\"" + symbol + "\")");
            }
            t->byte_id[b] = it->second;
        }
        L.merges(data, *t, vocab_ids);
        if (t->ignore_merges)
            for (const auto& [text, id] : vocab) t->id_of_bytes.emplace(token_bytes_of(text), id);
        t->id_of_text = std::move(vocab_ids);
        for (const auto& [text, id, special] : added) t->id_of_text[text] = id;
    } catch (const json::exception& e) {
        L.fail("unexpected content: " + strip_json_prefix(e.what()));
    }
    return t;
}

}  // namespace m1
