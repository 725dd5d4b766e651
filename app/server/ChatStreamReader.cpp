#include "app/server/ChatStreamReader.h"

namespace m1::app {

using json = nlohmann::ordered_json;

namespace {

std::string excerpt(std::string_view s) {
    std::string e(s.substr(0, 120));
    if (s.size() > 120) e += "…";
    return e;
}

}  // namespace

bool ChatStreamReader::fail(std::string message) {
    if (m_error.empty()) m_error = std::move(message);
    return false;
}

bool ChatStreamReader::feed(std::string_view bytes, std::vector<std::string>* out) {
    if (!m_error.empty()) return false;
    m_buffer.append(bytes);
    size_t start = 0;
    for (size_t nl; (nl = m_buffer.find('\n', start)) != std::string::npos; start = nl + 1) {
        std::string_view l(m_buffer.data() + start, nl - start);
        if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
        if (!line(l, out)) return false;
    }
    m_buffer.erase(0, start);
    return true;
}

bool ChatStreamReader::finish(std::vector<std::string>* out) {
    if (!m_error.empty()) return false;
    if (!m_buffer.empty()) {
        std::string last = std::move(m_buffer);
        m_buffer.clear();
        if (!line(last, out)) return false;
    }
    if (!line({}, out)) return false;  // dispatch an event the body ended inside
    std::string calls;
    flushCalls(&calls);
    if (!calls.empty()) out->push_back(std::move(calls));
    if (!m_done && m_finishReason.empty())
        return fail("the stream ended before its end (no finish_reason and no [DONE])");
    return true;
}

bool ChatStreamReader::line(std::string_view l, std::vector<std::string>* out) {
    if (l.empty()) {  // end of an event
        if (!m_hasData) return true;
        m_hasData = false;
        std::string data = std::move(m_data);
        m_data.clear();
        std::string text;
        const bool ok = payload(data, &text);
        if (!text.empty()) out->push_back(std::move(text));
        return ok;
    }
    if (l.front() == ':') return true;  // a comment (keep-alive)
    const size_t colon = l.find(':');
    const std::string_view field = l.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? std::string_view() : l.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (field == "data") {
        if (m_hasData) m_data += '\n';
        m_data.append(value);
        m_hasData = true;
        return true;
    }
    if (field == "event" || field == "id" || field == "retry") return true;
    return fail("malformed server-sent events: unexpected line '" + excerpt(l) + "'");
}

void ChatStreamReader::closeThink(std::string* out) {
    if (!m_inThink) return;
    out->append("\n</think>\n");
    m_inThink = false;
}

void ChatStreamReader::flushCalls(std::string* out) {
    if (m_callsFlushed || m_calls.empty()) return;
    m_callsFlushed = true;
    closeThink(out);
    out->append("<tool_calls>\n");
    for (const PendingCall& c : m_calls) {
        json arguments = json::parse(c.arguments, nullptr, /*allow_exceptions=*/false);
        if (arguments.is_discarded()) arguments = c.arguments;  // keep what the server sent
        json call{{"name", c.name}, {"arguments", std::move(arguments)}};
        out->append(call.dump());
        out->push_back('\n');
    }
    out->append("</tool_calls>");
}

bool ChatStreamReader::payload(const std::string& data, std::string* out) {
    if (data == "[DONE]") {
        m_done = true;
        return true;
    }
    if (m_done) return fail("malformed server-sent events: data after [DONE]");
    const json j = json::parse(data, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object())
        return fail("malformed server-sent events: a data line is not a JSON object: '" + excerpt(data) + "'");
    if (j.contains("error") || j.value("object", "") == "error") {
        const json& e = j.contains("error") ? j["error"] : j;
        std::string message = e.is_object() ? e.value("message", e.dump()) : e.dump();
        return fail("the server reported an error in the stream: " + message);
    }
    if (j.contains("usage") && j["usage"].is_object()) {
        const json& u = j["usage"];
        m_hasUsage = true;
        m_promptTokens = u.value("prompt_tokens", int64_t(0));
        m_completionTokens = u.value("completion_tokens", int64_t(0));
        if (u.contains("prompt_tokens_details") && u["prompt_tokens_details"].is_object())
            m_cachedTokens = u["prompt_tokens_details"].value("cached_tokens", int64_t(0));
    }
    if (!j.contains("choices")) return true;
    if (!j["choices"].is_array()) return fail("malformed chunk: 'choices' is not an array: '" + excerpt(data) + "'");
    for (const json& choice : j["choices"]) {
        if (!choice.is_object() || choice.value("index", 0) != 0) continue;  // we ask for one choice
        if (choice.contains("delta") && choice["delta"].is_object()) {
            const json& d = choice["delta"];
            for (const char* key : {"reasoning_content", "reasoning"}) {
                if (!d.contains(key) || !d[key].is_string() || d[key].get_ref<const std::string&>().empty()) continue;
                if (!m_inThink) out->append("<think>\n");
                m_inThink = true;
                out->append(d[key].get_ref<const std::string&>());
                ++m_deltas;
                break;
            }
            if (d.contains("content") && d["content"].is_string() &&
                !d["content"].get_ref<const std::string&>().empty()) {
                closeThink(out);
                out->append(d["content"].get_ref<const std::string&>());
                ++m_deltas;
            }
            if (d.contains("tool_calls") && d["tool_calls"].is_array()) {
                for (const json& tc : d["tool_calls"]) {
                    if (!tc.is_object()) return fail("malformed chunk: a tool call is not an object");
                    const size_t index = size_t(tc.value("index", int64_t(m_calls.size())));
                    if (index > m_calls.size() + 64) return fail("malformed chunk: tool call index out of range");
                    if (index >= m_calls.size()) m_calls.resize(index + 1);
                    if (tc.contains("function") && tc["function"].is_object()) {
                        const json& f = tc["function"];
                        if (f.contains("name") && f["name"].is_string())
                            m_calls[index].name += f["name"].get<std::string>();
                        if (f.contains("arguments") && f["arguments"].is_string())
                            m_calls[index].arguments += f["arguments"].get<std::string>();
                    }
                }
            }
        } else if (choice.contains("text") && choice["text"].is_string()) {  // /v1/completions
            const std::string& t = choice["text"].get_ref<const std::string&>();
            if (!t.empty()) {
                out->append(t);
                ++m_deltas;
            }
        }
        if (choice.contains("finish_reason") && choice["finish_reason"].is_string()) {
            m_finishReason = choice["finish_reason"].get<std::string>();
            flushCalls(out);
        }
    }
    return true;
}

}  // namespace m1::app
