// encode: UTF-8 repair -> added tokens on the raw text -> NFC of the text between them -> pre-tokenizer steps ->
// BPE per piece (through the piece cache). decode: token bytes -> lossy UTF-8.
#include "engine/tokenizer/tokenizer.h"

#include "engine/tokenizer/nfc.h"
#include "engine/tokenizer/tokenizer_impl.h"
#include "engine/tokenizer/utf8.h"

#include <fstream>
#include <sstream>

namespace m1 {
namespace {

// Calls sink(span of ids) for every piece of `text`, in order. Pieces are views into buffers that live only for
// the call, so sinks must copy what they keep.
template <class Sink>
class encoder {
public:
    encoder(const tokenizer_impl& t, Sink& sink) : m_t(t), m_sink(sink) {}

    void run(std::string_view text) {
        std::string repaired;
        if (utf8::valid_prefix(text) != text.size()) {
            utf8::append_lossy(repaired, text);
            text = repaired;
        }
        size_t at = 0;
        added_token_matcher::match m;
        while (at < text.size() && m_t.added.find(text, at, m)) {
            ordinary(text.substr(at, m.pos - at));
            m_sink(std::span<const int32_t>(&m.id, 1));
            at = m.pos + m.len;
        }
        ordinary(text.substr(at));
    }

private:
    void ordinary(std::string_view text) {
        if (text.empty()) return;
        std::string normalized;
        if (m_t.nfc && nfc::normalize(text, normalized)) text = normalized;
        pretokenize(0, text);
    }

    void pretokenize(size_t step_index, std::string_view piece) {
        if (piece.empty()) return;
        if (step_index == m_t.steps.size()) {
            bpe(piece);
            return;
        }
        const pretokenize_step& step = m_t.steps[step_index];
        std::string prefixed;
        if (step.what == pretokenize_step::kind::byte_level) {
            if (step.add_prefix_space && piece.front() != ' ') {
                prefixed.reserve(piece.size() + 1);
                prefixed.push_back(' ');
                prefixed.append(piece);
                piece = prefixed;
            }
            if (!step.regex) {
                pretokenize(step_index + 1, piece);
                return;
            }
        }
        split(step, step_index, piece);
    }

    // Cuts `piece` at the matches of the step's regex (HF Split / ByteLevel's regex).
    void split(const pretokenize_step& step, size_t step_index, std::string_view piece) {
        // [gap, begin) is text between matches, [begin, end) a match. The matches are the delimiters, or with invert
        // the text between them is; `removed` drops the delimiters, `isolated` keeps everything as pieces.
        const bool isolated = step.delimiters == pretokenize_step::behaviour::isolated;
        const bool gap_kept = isolated || !step.invert;
        const bool match_kept = isolated || step.invert;
        size_t gap = 0, search = 0, begin = 0, end = 0;
        while (search <= piece.size() && step.regex->find(piece, search, begin, end)) {
            if (end == begin) {  // an empty match delimits nothing: look again one character further
                search = begin + next_char_length(piece, begin);
                continue;
            }
            if (gap_kept) pretokenize(step_index + 1, piece.substr(gap, begin - gap));
            if (match_kept) pretokenize(step_index + 1, piece.substr(begin, end - begin));
            gap = search = end;
        }
        if (gap_kept && gap < piece.size()) pretokenize(step_index + 1, piece.substr(gap));
    }

    static size_t next_char_length(std::string_view s, size_t i) {
        if (i >= s.size()) return 1;
        return utf8::next(reinterpret_cast<const unsigned char*>(s.data()) + i, s.size() - i).len;
    }

    void bpe(std::string_view piece) {
        if (piece.size() == 1) {
            const int32_t id = m_t.byte_id[static_cast<unsigned char>(piece[0])];
            m_sink(std::span<const int32_t>(&id, 1));
            return;
        }
        if (m_t.ignore_merges) {
            const auto it = m_t.id_of_bytes.find(piece);
            if (it != m_t.id_of_bytes.end()) {
                m_sink(std::span<const int32_t>(&it->second, 1));
                return;
            }
        }
        const bool cacheable = piece.size() <= piece_cache::k_max_piece;
        if (cacheable && m_t.cache.find(piece, m_ids)) {
            m_sink(std::span<const int32_t>(m_ids));
            return;
        }
        m_ids.clear();
        for (char c : piece) m_ids.push_back(m_t.byte_id[static_cast<unsigned char>(c)]);
        m_t.merges.merge(m_ids);
        if (cacheable) m_t.cache.insert(piece, m_ids);
        m_sink(std::span<const int32_t>(m_ids));
    }

    const tokenizer_impl& m_t;
    Sink& m_sink;
    std::vector<int32_t> m_ids;  // scratch for one piece
};

template <class Sink>
void run_encoder(const tokenizer_impl& t, std::string_view text, Sink&& sink) {
    encoder<std::remove_reference_t<Sink>> e(t, sink);
    e.run(text);
}

}  // namespace

tokenizer::tokenizer(std::unique_ptr<tokenizer_impl> impl) : m_impl(std::move(impl)) {}
tokenizer::~tokenizer() = default;

std::unique_ptr<tokenizer> tokenizer::load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw tokenizer_error(path + ": cannot open the file");
    std::ostringstream content;
    content << in.rdbuf();
    if (in.bad()) throw tokenizer_error(path + ": read error");
    return from_json(content.view(), path);
}

std::unique_ptr<tokenizer> tokenizer::from_json(std::string_view json_text, const std::string& origin) {
    return std::unique_ptr<tokenizer>(new tokenizer(load_tokenizer_json(json_text, origin)));
}

std::vector<int32_t> tokenizer::encode(std::string_view text) const {
    std::vector<int32_t> ids;
    ids.reserve(text.size() / 3);
    run_encoder(*m_impl, text, [&](std::span<const int32_t> piece) { ids.insert(ids.end(), piece.begin(), piece.end()); });
    return ids;
}

size_t tokenizer::count(std::string_view text) const {
    size_t n = 0;
    run_encoder(*m_impl, text, [&](std::span<const int32_t> piece) { n += piece.size(); });
    return n;
}

std::string_view tokenizer::token_bytes(int32_t id) const {
    if (id < 0 || static_cast<size_t>(id) >= size()) return {};
    const uint32_t begin = m_impl->bytes_offset[id], end = m_impl->bytes_offset[id + 1];
    return std::string_view(m_impl->bytes_arena).substr(begin, end - begin);
}

std::string tokenizer::decode(std::span<const int32_t> ids) const {
    std::string bytes;
    for (int32_t id : ids) bytes.append(token_bytes(id));
    if (utf8::valid_prefix(bytes) == bytes.size()) return bytes;
    std::string out;
    utf8::append_lossy(out, bytes);
    return out;
}

int32_t tokenizer::token_id(std::string_view token) const {
    const auto it = m_impl->id_of_text.find(token);
    return it == m_impl->id_of_text.end() ? -1 : it->second;
}

std::string tokenizer::token_text(int32_t id) const {
    if (id < 0 || static_cast<size_t>(id) >= size()) return {};
    return m_impl->token_texts[id];
}

size_t tokenizer::size() const { return m_impl->token_texts.size(); }

bool tokenizer::is_special(int32_t id) const {
    return id >= 0 && static_cast<size_t>(id) < size() && m_impl->special[id] != 0;
}

stream_decoder::stream_decoder(const tokenizer& tok) : m_tok(tok) {}

std::string stream_decoder::push(int32_t id) {
    m_pending.append(m_tok.token_bytes(id));
    std::string out;
    const auto* p = reinterpret_cast<const unsigned char*>(m_pending.data());
    const size_t n = m_pending.size();
    size_t i = 0, emitted = 0;
    while (i < n) {
        const utf8::step st = utf8::next(p + i, n - i);
        if (st.ok) {
            i += st.len;
            continue;
        }
        if (st.truncated) break;  // may still be completed by the next token
        out.append(m_pending, emitted, i - emitted);
        out.append(utf8::k_replacement);
        i += st.len;
        emitted = i;
    }
    out.append(m_pending, emitted, i - emitted);
    m_pending.erase(0, i);
    return out;
}

std::string stream_decoder::finish() {
    std::string out;
    utf8::append_lossy(out, m_pending);
    m_pending.clear();
    return out;
}

}  // namespace m1
