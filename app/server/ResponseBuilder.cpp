#include "app/server/ResponseBuilder.h"

#include <mutex>
#include <random>

namespace m1::app {

using json = nlohmann::ordered_json;

json Usage::toJson() const {
    json u{{"prompt_tokens", promptTokens},
           {"completion_tokens", completionTokens},
           {"total_tokens", promptTokens + completionTokens}};
    if (cachedTokens > 0) u["prompt_tokens_details"] = json{{"cached_tokens", cachedTokens}};
    return u;
}

ResponseBuilder::ResponseBuilder(Kind kind, std::string id, int64_t created, std::string model)
    : m_kind(kind), m_id(std::move(id)), m_model(std::move(model)), m_created(created) {}

std::string ResponseBuilder::newId(const char* prefix) {
    static std::mutex mutex;
    static std::mt19937_64 rng{std::random_device{}()};
    std::lock_guard<std::mutex> lock(mutex);
    static const char* hex = "0123456789abcdef";
    std::string id = prefix;
    for (int i = 0; i < 24; ++i) id += hex[rng() & 15];
    return id;
}

std::string ResponseBuilder::sse(const json& chunk) {
    return "data: " + dumpJson(chunk) + "\n\n";
}

std::string dumpJson(const json& j) {
    // Invalid UTF-8 (which the engine's stream decoder never produces, but a message from elsewhere might) becomes
    // U+FFFD instead of an exception.
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}
std::string ResponseBuilder::sseDone() {
    return "data: [DONE]\n\n";
}

json ResponseBuilder::chunk(json delta, const json& finishReason) const {
    json choice;
    choice["index"] = 0;
    if (m_kind == Kind::Chat)
        choice["delta"] = std::move(delta);
    else
        choice["text"] = delta.is_string() ? std::move(delta) : json("");
    choice["logprobs"] = nullptr;
    choice["finish_reason"] = finishReason;
    return json{{"id", m_id},
                {"object", m_kind == Kind::Chat ? "chat.completion.chunk" : "text_completion"},
                {"created", m_created},
                {"model", m_model},
                {"choices", json::array({std::move(choice)})}};
}

std::vector<json> ResponseBuilder::start() {
    if (m_kind != Kind::Chat) return {};
    return {chunk(json{{"role", "assistant"}, {"content", ""}}, nullptr)};
}

void ResponseBuilder::convert(const std::vector<m1::output_event>& events, std::vector<json>& out) {
    for (const m1::output_event& e : events) {
        switch (e.kind) {
        case m1::output_event_kind::reasoning:
            if (e.text.empty()) break;
            m_reasoning += e.text;
            out.push_back(chunk(json{{"reasoning_content", e.text}}, nullptr));
            break;
        case m1::output_event_kind::answer:
        case m1::output_event_kind::tool_call_error:
            if (e.text.empty()) break;
            m_content += e.text;
            out.push_back(chunk(json{{"content", e.text}}, nullptr));
            break;
        case m1::output_event_kind::tool_call: {
            // OpenAI carries arguments as a JSON string; a model that wrote no arguments called with none.
            const std::string arguments = e.arguments.is_null() ? "{}" : e.arguments.dump();
            const int index = int(m_calls.size());
            json call{{"id", newId("call_")},
                      {"type", "function"},
                      {"function", json{{"name", e.name}, {"arguments", arguments}}}};
            m_calls.push_back(call);
            json delta_call{{"index", index}};
            delta_call.update(call);
            out.push_back(chunk(json{{"tool_calls", json::array({delta_call})}}, nullptr));
            break;
        }
        case m1::output_event_kind::end:
            break;
        }
    }
}

std::vector<json> ResponseBuilder::feed(std::string_view text) {
    std::vector<json> out;
    if (text.empty()) return out;
    if (m_kind == Kind::Completion) {
        m_content.append(text);
        out.push_back(chunk(json(std::string(text)), nullptr));
        return out;
    }
    m_events.clear();
    m_parser.feed(text, m_events);
    convert(m_events, out);
    return out;
}

std::vector<json> ResponseBuilder::finish(bool outOfTokens, const Usage& usage, bool includeUsage) {
    std::vector<json> out;
    if (m_kind == Kind::Chat) {
        m_events.clear();
        m_parser.finish(m_events);
        convert(m_events, out);
    }
    m_finishReason = outOfTokens ? "length" : (m_calls.empty() ? "stop" : "tool_calls");
    out.push_back(chunk(m_kind == Kind::Chat ? json::object() : json(""), m_finishReason));
    if (includeUsage) {
        out.push_back(json{{"id", m_id},
                           {"object", m_kind == Kind::Chat ? "chat.completion.chunk" : "text_completion"},
                           {"created", m_created},
                           {"model", m_model},
                           {"choices", json::array()},
                           {"usage", usage.toJson()}});
    }
    return out;
}

json ResponseBuilder::response(const Usage& usage) const {
    json choice;
    choice["index"] = 0;
    if (m_kind == Kind::Chat) {
        json message;
        message["role"] = "assistant";
        // As vLLM: no text besides the tool calls is null content, not "".
        message["content"] = (m_content.empty() && !m_calls.empty()) ? json(nullptr) : json(m_content);
        message["reasoning_content"] = m_reasoning.empty() ? json(nullptr) : json(m_reasoning);
        message["tool_calls"] = m_calls;
        choice["message"] = std::move(message);
    } else {
        choice["text"] = m_content;
    }
    choice["logprobs"] = nullptr;
    choice["finish_reason"] = m_finishReason;
    return json{{"id", m_id},
                {"object", m_kind == Kind::Chat ? "chat.completion" : "text_completion"},
                {"created", m_created},
                {"model", m_model},
                {"choices", json::array({std::move(choice)})},
                {"usage", usage.toJson()}};
}

}  // namespace m1::app
