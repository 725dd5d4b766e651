// The project's own byte-level BPE tokenizer: a tiny deterministic trainer and a tokenizer.json writer.
#include "engine/model/demo_tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>

#ifndef M1_DEMO_DOCS_DIR
#define M1_DEMO_DOCS_DIR "resources/demo/docs"
#endif

namespace m1 {

namespace {

namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

// M1's pre-tokenizer pattern (spec §6; OpenAI's o200k pattern without possessive quantifiers).
constexpr const char* k_split_regex =
    R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?)"
    R"(|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?)"
    R"(|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// The pieces the Split pre-tokenizer keeps (the regex matches; text between matches cannot occur because the last
// alternatives match any whitespace and the others any non-space). Used only for training, so the pieces need not
// reproduce Oniguruma's dialect to the last code point.
std::vector<std::string> split_pieces(const std::string& text) {
    int err = 0;
    PCRE2_SIZE err_offset = 0;
    std::unique_ptr<pcre2_code, decltype(&pcre2_code_free)> code(
        pcre2_compile(reinterpret_cast<PCRE2_SPTR>(k_split_regex), PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP, &err,
                      &err_offset, nullptr),
        &pcre2_code_free);
    if (!code) throw std::runtime_error("demo tokenizer: the pre-tokenizer regex does not compile");
    std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> md(
        pcre2_match_data_create_from_pattern(code.get(), nullptr), &pcre2_match_data_free);
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos < text.size()) {
        int rc = pcre2_match(code.get(), reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), pos, 0, md.get(),
                             nullptr);
        if (rc < 0) break;
        const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.get());
        if (ov[1] == ov[0]) {  // cannot happen with this pattern; guard against an endless loop anyway
            ++pos;
            continue;
        }
        out.emplace_back(text.substr(ov[0], ov[1] - ov[0]));
        pos = ov[1];
    }
    return out;
}

std::string to_symbols(const std::string& bytes) {
    std::string s;
    for (unsigned char b : bytes) s += byte_level_symbol(b);
    return s;
}

}  // namespace

const std::vector<std::string>& m1_special_tokens() {
    static const std::vector<std::string> tokens = {
        "<pad>", "<fim_prefix>", "<fim_middle>", "<fim_suffix>", "<fim_pad>", "<reponame>", "<filename>",
        "<gh_stars>", "<issue_start>", "<issue_comment>", "<issue_closed>", "<jupyter_start>", "<jupyter_text>",
        "<jupyter_code>", "<jupyter_output>", "<empty_output>", "<commit_before>", "<commit_msg>", "<commit_after>",
        "<beginning_of_sentence>", "<end_of_sentence>", "<end_of_document>", "<function_call>", "<code_interpreter>",
        "<speech>", "<image>", "<video>", "<start_of_speech>", "<end_of_speech>", "<start_of_image>",
        "<end_of_image>", "<start_of_video>", "<end_of_video>", "<vision_pad>", "<begin_of_document>",
        "<jupyter_error>"};
    return tokens;
}

std::string byte_level_symbol(unsigned char b) {
    // Printable Latin-1 bytes stand for themselves; the other 68 bytes take the code points 256, 257, ... in order.
    auto printable = [](unsigned v) { return (v >= 33 && v <= 126) || (v >= 161 && v <= 172) || (v >= 174); };
    unsigned cp = b;
    if (!printable(b)) {
        unsigned n = 0;
        for (unsigned v = 0; v < b; ++v) n += printable(v) ? 0 : 1;
        cp = 256 + n;
    }
    std::string s;
    if (cp < 0x80) {
        s += static_cast<char>(cp);
    } else {
        s += static_cast<char>(0xC0 | (cp >> 6));
        s += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return s;
}

std::vector<std::pair<std::string, std::string>> train_bpe_merges(const std::vector<std::string>& texts,
                                                                  int max_merges) {
    // Distinct pieces with their counts; a piece is a sequence of symbol ids (initially its bytes).
    std::map<std::string, int64_t> piece_counts;
    for (const std::string& t : texts)
        for (std::string& p : split_pieces(t)) ++piece_counts[p];
    struct word {
        std::vector<int> syms;
        int64_t count;
    };
    std::vector<word> words;
    for (const auto& [piece, count] : piece_counts) {
        word w{{}, count};
        for (unsigned char b : piece) w.syms.push_back(b);
        words.push_back(std::move(w));
    }
    std::vector<std::string> sym_bytes;
    std::map<std::string, int> sym_id;
    for (int b = 0; b < 256; ++b) {
        sym_bytes.emplace_back(1, static_cast<char>(b));
        sym_id[sym_bytes.back()] = b;
    }
    std::vector<std::pair<std::string, std::string>> merges;
    std::set<std::pair<int, int>> learned;
    while (static_cast<int>(merges.size()) < max_merges) {
        std::map<std::pair<int, int>, int64_t> pair_counts;
        for (const word& w : words)
            for (size_t i = 0; i + 1 < w.syms.size(); ++i) pair_counts[{w.syms[i], w.syms[i + 1]}] += w.count;
        const std::pair<int, int>* best = nullptr;
        int64_t best_count = 1;  // a merge must occur at least twice
        std::string best_text;
        for (const auto& [pair, count] : pair_counts) {
            if (count < best_count || learned.count(pair)) continue;
            std::string text = sym_bytes[pair.first] + sym_bytes[pair.second];
            if (best && count == best_count &&
                std::tie(text, sym_bytes[pair.first]) >= std::tie(best_text, sym_bytes[best->first]))
                continue;
            best = &pair;
            best_count = count;
            best_text = std::move(text);
        }
        if (!best || best_count < 2) break;
        const auto [a, b] = *best;
        learned.insert({a, b});
        merges.emplace_back(sym_bytes[a], sym_bytes[b]);
        // Two different pairs can spell the same bytes ("a"+"bc", "ab"+"c"): they share one symbol, as in HF.
        int merged;
        if (auto it = sym_id.find(best_text); it != sym_id.end()) {
            merged = it->second;
        } else {
            merged = static_cast<int>(sym_bytes.size());
            sym_bytes.push_back(best_text);
            sym_id[best_text] = merged;
        }
        for (word& w : words) {
            std::vector<int> next;
            next.reserve(w.syms.size());
            for (size_t i = 0; i < w.syms.size(); ++i) {
                if (i + 1 < w.syms.size() && w.syms[i] == a && w.syms[i + 1] == b) {
                    next.push_back(merged);
                    ++i;
                } else {
                    next.push_back(w.syms[i]);
                }
            }
            w.syms = std::move(next);
        }
    }
    return merges;
}

std::string demo_tokenizer_json(const std::vector<std::pair<std::string, std::string>>& merges) {
    ojson vocab = ojson::object();
    int next_id = 0;
    for (int b = 0; b < 256; ++b) vocab[byte_level_symbol(static_cast<unsigned char>(b))] = next_id++;
    ojson merge_list = ojson::array();
    for (const auto& [a, b] : merges) {
        const std::string left = to_symbols(a), right = to_symbols(b), joined = to_symbols(a + b);
        merge_list.push_back(left + " " + right);
        if (!vocab.contains(joined)) vocab[joined] = next_id++;
    }
    ojson added = ojson::array();
    for (const std::string& t : m1_special_tokens())
        added.push_back({{"id", next_id++}, {"content", t}, {"single_word", false}, {"lstrip", false},
                         {"rstrip", false}, {"normalized", false}, {"special", true}});

    ojson j = ojson::object();
    j["version"] = "1.0";
    j["truncation"] = nullptr;
    j["padding"] = nullptr;
    j["added_tokens"] = added;
    j["normalizer"] = {{"type", "NFC"}};
    j["pre_tokenizer"] = {
        {"type", "Sequence"},
        {"pretokenizers",
         ojson::array({ojson{{"type", "Split"},
                             {"pattern", {{"Regex", k_split_regex}}},
                             {"behavior", "Removed"},
                             {"invert", true}},
                       ojson{{"type", "ByteLevel"},
                             {"add_prefix_space", false},
                             {"trim_offsets", true},
                             {"use_regex", false}}})}};
    j["post_processor"] = nullptr;
    j["decoder"] = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}};
    j["model"] = {{"type", "BPE"},
                  {"dropout", nullptr},
                  {"unk_token", nullptr},
                  {"continuing_subword_prefix", ""},
                  {"end_of_word_suffix", ""},
                  {"fuse_unk", false},
                  {"byte_fallback", false},
                  {"vocab", vocab},
                  {"merges", merge_list}};
    return j.dump(2) + "\n";
}

std::vector<std::string> read_demo_corpus(const std::string& dir) {
    if (!fs::is_directory(dir)) throw std::runtime_error(dir + ": the tokenizer training folder does not exist");
    static const std::set<std::string> k_exts = {".md", ".txt", ".py", ".cpp", ".h"};
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file() && k_exts.count(e.path().extension().string())) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    if (files.empty()) throw std::runtime_error(dir + ": no .md, .txt, .py, .cpp or .h files to train the tokenizer on");
    std::vector<std::string> texts;
    for (const fs::path& p : files) {
        std::ifstream in(p, std::ios::binary);
        if (!in) throw std::runtime_error(p.string() + ": cannot read");
        std::stringstream s;
        s << in.rdbuf();
        texts.push_back(s.str());
    }
    return texts;
}

std::string default_demo_corpus_dir() { return M1_DEMO_DOCS_DIR; }

}  // namespace m1

namespace m1 {

namespace {

// Written for this project. It follows the rendering rules of spec §7.1 (the official MiniMax-M1 template): the
// document marker, all system texts joined into one system turn, the tool list with its instruction text, then
// user / assistant / tool turns, then the optional generation prompt. Every line starts and ends with a
// whitespace-trimming tag, so only the quoted strings reach the output.
constexpr const char* k_chat_template = R"JINJA({#- M1 Studio demo tokenizer: renders prompts exactly like MiniMax-M1's official chat template. -#}
{%- set nl = '\n' -%}
{%- set bos = '<beginning_of_sentence>' -%}
{%- set eos = '<end_of_sentence>' -%}
{{- '<begin_of_document>' -}}
{%- set acc = namespace(system='') -%}
{%- for turn in messages -%}
  {%- if turn['role'] == 'system' -%}{%- set acc.system = acc.system + turn['content'][0]['text'] -%}{%- endif -%}
{%- endfor -%}
{%- if acc.system | length > 0 -%}
  {{- bos + 'system ai_setting=assistant' + nl + acc.system + eos + nl -}}
{%- endif -%}
{%- if tools -%}
  {{- bos + 'system tool_setting=tools' + nl + 'You are provided with these tools:' + nl + '<tools>' + nl -}}
  {%- for tool in tools -%}{{- tool | tojson -}}{{- nl -}}{%- endfor -%}
  {{- '</tools>' + nl + nl -}}
  {{- 'If you need to call tools, please respond with <tool_calls></tool_calls> XML tags, and provide tool-name and json-object of arguments, following the format below:' + nl -}}
  {{- '<tool_calls>' + nl + '{name: <tool-name-1>, arguments: <args-json-object-1>}' + nl + '...' + nl + '</tool_calls>' + eos + nl -}}
{%- endif -%}
{%- for turn in messages -%}
  {%- if turn['role'] == 'user' -%}
    {{- bos + 'user name=user' + nl + turn['content'][0]['text'] + eos + nl -}}
  {%- elif turn['role'] == 'assistant' -%}
    {{- bos + 'ai name=assistant' + nl -}}
    {%- for part in turn['content'] -%}{%- if part['type'] == 'text' -%}{{- part['text'] -}}{%- endif -%}{%- endfor -%}
    {{- eos + nl -}}
  {%- elif turn['role'] == 'tool' -%}
    {{- bos + 'tool name=tools' + nl -}}
    {%- for part in turn['content'] -%}
      {{- 'tool name: ' + part['name'] + nl + 'tool result: ' + part['text'] + nl + nl -}}
    {%- endfor -%}
    {{- eos + nl -}}
  {%- endif -%}
{%- endfor -%}
{%- if add_generation_prompt -%}{{- bos + 'ai name=assistant' + nl -}}{%- endif -%})JINJA";

}  // namespace

std::string demo_tokenizer_config_json() {
    ojson j = ojson::object();
    j["add_prefix_space"] = false;
    j["bos_token"] = "<beginning_of_sentence>";
    j["clean_up_tokenization_spaces"] = false;
    j["eos_token"] = "<end_of_sentence>";
    j["model_max_length"] = 40960000;
    j["tokenizer_class"] = "GPT2Tokenizer";
    j["unk_token"] = "<end_of_document>";
    j["chat_template"] = k_chat_template;
    return j.dump(2) + "\n";
}

}  // namespace m1
