#include "engine/tokenizer/tokenizer_json.h"

#include <stdexcept>

namespace m1 {
namespace {

using json = nlohmann::json;

// SAX events: model.vocab and model.merges are collected here, the rest is passed to nlohmann's tree builder.
class sax_reader {
public:
    explicit sax_reader(tokenizer_json& out) : m_out(out), m_dom(out.root) {}

    bool null() { return m_mode == mode::none ? m_dom.null() : unexpected("null"); }
    bool boolean(bool v) { return m_mode == mode::none ? m_dom.boolean(v) : unexpected("true or false"); }
    bool number_float(json::number_float_t v, const json::string_t& s) {
        return m_mode == mode::none ? m_dom.number_float(v, s) : unexpected("a fractional number");
    }
    bool binary(json::binary_t& b) { return m_mode == mode::none ? m_dom.binary(b) : unexpected("binary data"); }

    bool number_integer(json::number_integer_t v) {
        if (m_mode == mode::vocab) return vocab_entry(v);
        return m_mode == mode::none ? m_dom.number_integer(v) : unexpected("a number");
    }
    bool number_unsigned(json::number_unsigned_t v) {
        if (m_mode == mode::vocab) return vocab_entry(static_cast<int64_t>(v));
        return m_mode == mode::none ? m_dom.number_unsigned(v) : unexpected("a number");
    }

    bool string(json::string_t& s) {
        if (m_mode == mode::none) return m_dom.string(s);
        if (m_mode == mode::vocab) return unexpected("a string");
        if (m_in_pair) {
            m_pair.push_back(std::move(s));
            return true;
        }
        const size_t space = s.find(' ');  // "left right": exactly one space (byte-level tokens contain none)
        if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos)
            throw std::runtime_error("merge " + std::to_string(m_out.merges.size()) + " \"" + s +
                                     "\" is not two tokens separated by one space");
        m_out.merges.emplace_back(s.substr(0, space), s.substr(space + 1));
        return true;
    }

    bool key(json::string_t& k) {
        if (m_mode == mode::vocab) {
            m_pending_key = std::move(k);
            return true;
        }
        if (m_mode == mode::merges) return unexpected("an object");
        if (m_depth == 1) m_root_key = k;
        if (m_in_model && m_depth == 2) m_model_key = k;
        return m_dom.key(k);
    }

    bool start_object(std::size_t n) {
        if (m_mode != mode::none) return unexpected("an object");
        ++m_depth;
        if (m_depth == 2 && m_root_key == "model") m_in_model = true;
        if (m_in_model && m_depth == 3 && m_model_key == "vocab") {
            m_mode = mode::vocab;
            m_out.has_vocab = true;
            return m_dom.start_object(0);
        }
        return m_dom.start_object(n);
    }
    bool end_object() {
        if (m_mode == mode::vocab) m_mode = mode::none;
        if (m_depth == 2) m_in_model = false;
        --m_depth;
        return m_dom.end_object();
    }

    bool start_array(std::size_t n) {
        if (m_mode == mode::merges) {
            if (m_in_pair) return unexpected("a nested array");
            m_in_pair = true;
            m_pair.clear();
            return true;
        }
        if (m_mode == mode::vocab) return unexpected("an array");
        ++m_depth;
        if (m_in_model && m_depth == 3 && m_model_key == "merges") {
            m_mode = mode::merges;
            m_out.has_merges = true;
            return m_dom.start_array(0);
        }
        return m_dom.start_array(n);
    }
    bool end_array() {
        if (m_mode == mode::merges && m_in_pair) {
            if (m_pair.size() != 2)
                throw std::runtime_error("merge " + std::to_string(m_out.merges.size()) +
                                         " is not a pair of tokens [\"a\", \"b\"]");
            m_out.merges.emplace_back(std::move(m_pair[0]), std::move(m_pair[1]));
            m_in_pair = false;
            return true;
        }
        if (m_mode == mode::merges) m_mode = mode::none;
        --m_depth;
        return m_dom.end_array();
    }

    template <class Exception>
    bool parse_error(std::size_t position, const std::string& token, const Exception& e) {
        return m_dom.parse_error(position, token, e);  // throws e
    }

private:
    enum class mode { none, vocab, merges };

    bool vocab_entry(int64_t id) {
        m_out.vocab.emplace_back(std::move(m_pending_key), id);
        return true;
    }

    [[noreturn]] bool unexpected(const char* what) {
        if (m_mode == mode::vocab)
            throw std::runtime_error("the vocab holds " + std::string(what) + " for \"" + m_pending_key +
                                     "\" where an id (an integer) belongs");
        throw std::runtime_error("merge " + std::to_string(m_out.merges.size()) + " holds " + what +
                                 " where a token pair belongs");
    }

    tokenizer_json& m_out;
    nlohmann::detail::json_sax_dom_parser<json> m_dom;
    int m_depth = 0;
    bool m_in_model = false;
    std::string m_root_key, m_model_key, m_pending_key;
    mode m_mode = mode::none;
    bool m_in_pair = false;
    std::vector<std::string> m_pair;
};

}  // namespace

tokenizer_json read_tokenizer_json(std::string_view text) {
    tokenizer_json out;
    sax_reader reader(out);
    json::sax_parse(text.begin(), text.end(), &reader);
    return out;
}

}  // namespace m1
