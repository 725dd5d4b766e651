#include "engine/chat/output_parser.h"

namespace m1 {

namespace {

constexpr std::string_view k_think_open = "<think>";
constexpr std::string_view k_think_close = "</think>";
constexpr std::string_view k_calls_open = "<tool_calls>";
constexpr std::string_view k_calls_close = "</tool_calls>";

// Length of the longest proper prefix of `tag` that `text` ends with: those bytes may become the tag.
size_t tag_prefix_at_end(std::string_view text, std::string_view tag) {
    for (size_t k = std::min(tag.size() - 1, text.size()); k > 0; --k)
        if (text.substr(text.size() - k) == tag.substr(0, k)) return k;
    return 0;
}

// Bytes at the end of `text` that start a UTF-8 character whose remaining bytes have not arrived yet.
size_t incomplete_utf8_at_end(std::string_view text) {
    const size_t n = text.size();
    for (size_t back = 1; back <= 4 && back <= n; ++back) {
        const auto c = static_cast<unsigned char>(text[n - back]);
        if ((c & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead byte
        const size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        return need > back ? back : 0;
    }
    return 0;  // no lead byte within reach: invalid input, passed through as is
}

// How much of `text` can be emitted now, holding back a possible `tag` prefix (and a "\n" before it when
// `newline_belongs_to_tag`) and an incomplete UTF-8 character.
size_t emittable(std::string_view text, std::string_view tag, bool newline_belongs_to_tag) {
    size_t hold = tag_prefix_at_end(text, tag);
    if (newline_belongs_to_tag && text.size() > hold && text[text.size() - hold - 1] == '\n') ++hold;
    const size_t n = text.size() - hold;
    return n - incomplete_utf8_at_end(text.substr(0, n));
}

std::string_view trim(std::string_view s) {
    const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!s.empty() && blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && blank(s.back())) s.remove_suffix(1);
    return s;
}

}  // namespace

void output_parser::feed(std::string_view delta, std::vector<output_event>& events) {
    if (m_state == state::done) return;
    m_first_event = events.size();
    m_pending.append(delta);
    process(events, false);
}

void output_parser::finish(std::vector<output_event>& events) {
    if (m_state == state::done) return;
    m_first_event = events.size();
    process(events, true);
    m_state = state::done;
    events.push_back({output_event_kind::end, {}, {}, {}, {}});
}

void output_parser::reset() {
    m_state = state::start;
    m_pending.clear();
    m_first_event = 0;
}

void output_parser::emit_text(output_event_kind kind, std::string_view text, std::vector<output_event>& events) {
    if (text.empty()) return;
    if (events.size() > m_first_event && events.back().kind == kind) {
        events.back().text.append(text);
        return;
    }
    output_event e;
    e.kind = kind;
    e.text = std::string(text);
    events.push_back(std::move(e));
}

void output_parser::emit_tool_line(std::string_view raw, std::vector<output_event>& events) {
    const std::string_view line = trim(raw);
    if (line.empty()) return;
    output_event e;
    e.text = std::string(line);
    const auto json = nlohmann::ordered_json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) {
        e.kind = output_event_kind::tool_call_error;
        e.error = "not valid JSON";
    } else if (!json.is_object()) {
        e.kind = output_event_kind::tool_call_error;
        e.error = "not a JSON object";
    } else if (const auto name = json.find("name"); name == json.end() || !name->is_string()) {
        e.kind = output_event_kind::tool_call_error;
        e.error = "has no \"name\" string";
    } else {
        e.kind = output_event_kind::tool_call;
        e.name = name->get<std::string>();
        if (const auto args = json.find("arguments"); args != json.end()) e.arguments = *args;
    }
    events.push_back(std::move(e));
}

// Consumes as much of m_pending as can be decided now. Each state either consumes bytes and moves on, or stops
// ("wait") because the next bytes decide; at_end means no more bytes will come, so nothing waits.
void output_parser::process(std::vector<output_event>& events, bool at_end) {
    size_t pos = 0;
    for (bool more = true; more;) {
        const std::string_view rest = std::string_view(m_pending).substr(pos);
        switch (m_state) {
            case state::start:
                if (rest.starts_with(k_think_open)) {
                    pos += k_think_open.size();
                    m_state = state::open_think;
                } else if (!at_end && k_think_open.starts_with(rest)) {
                    more = false;  // "", "<", "<th"...: may still become <think>
                } else {
                    m_state = state::answer;
                }
                break;
            case state::open_think:
            case state::close_think:
                if (rest.empty()) {
                    more = false;
                    break;
                }
                if (rest.front() == '\n') ++pos;
                m_state = m_state == state::open_think ? state::reasoning : state::answer;
                break;
            case state::reasoning: {
                if (const size_t p = rest.find(k_think_close); p != std::string_view::npos) {
                    std::string_view text = rest.substr(0, p);
                    if (text.ends_with('\n')) text.remove_suffix(1);
                    emit_text(output_event_kind::reasoning, text, events);
                    pos += p + k_think_close.size();
                    m_state = state::close_think;
                    break;
                }
                const size_t n = at_end ? rest.size() : emittable(rest, k_think_close, true);
                emit_text(output_event_kind::reasoning, rest.substr(0, n), events);
                pos += n;
                more = false;
                break;
            }
            case state::answer: {
                if (const size_t p = rest.find(k_calls_open); p != std::string_view::npos) {
                    emit_text(output_event_kind::answer, rest.substr(0, p), events);
                    pos += p + k_calls_open.size();
                    m_state = state::tool_calls;
                    break;
                }
                const size_t n = at_end ? rest.size() : emittable(rest, k_calls_open, false);
                emit_text(output_event_kind::answer, rest.substr(0, n), events);
                pos += n;
                more = false;
                break;
            }
            case state::tool_calls: {
                const size_t nl = rest.find('\n');
                const size_t close = rest.find(k_calls_close);
                if (close != std::string_view::npos && (nl == std::string_view::npos || close < nl)) {
                    emit_tool_line(rest.substr(0, close), events);
                    pos += close + k_calls_close.size();
                    m_state = state::answer;
                } else if (nl != std::string_view::npos) {
                    emit_tool_line(rest.substr(0, nl), events);
                    pos += nl + 1;
                } else {
                    if (at_end) {
                        emit_tool_line(rest, events);
                        pos += rest.size();
                    }
                    more = false;  // a line is parsed only once it is complete
                }
                break;
            }
            case state::done:
                pos = m_pending.size();
                more = false;
                break;
        }
    }
    m_pending.erase(0, pos);
}

}  // namespace m1
