// Turns MiniMax-M1's generated text into OpenAI responses, the way vLLM serves M1 (reasoning parser minimax_m1,
// tool parser minimax): the text goes through m1::output_parser, and its events become
//   reasoning -> delta.reasoning_content        answer -> delta.content
//   tool_call -> delta.tool_calls[{index, id, type "function", function {name, arguments (a JSON string)}}]
//   tool_call_error (a line in <tool_calls> that is not a call) -> content, so nothing the model wrote is lost.
// The streaming chunks and the one-shot response are built from the same events, so both say the same thing.
// Raw completions (/v1/completions) pass the text through untouched (vLLM does not parse them either).
//
// finish_reason: "length" when the token budget ran out; otherwise "tool_calls" when the model called a tool, else
// "stop".
//
// Thread-safety: one builder per response, used from one thread.
#pragma once

#include "engine/chat/output_parser.h"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace m1::app {

struct Usage {
    int64_t promptTokens = 0;
    int64_t completionTokens = 0;
    int64_t cachedTokens = 0;  // prompt tokens taken from the kept prefix (prompt_tokens_details, as vLLM)
    nlohmann::ordered_json toJson() const;
};

// Compact JSON text; invalid UTF-8 in strings is replaced (U+FFFD) rather than thrown about.
std::string dumpJson(const nlohmann::ordered_json& j);

class ResponseBuilder {
public:
    enum class Kind { Chat, Completion };

    // id: "chatcmpl-…" / "cmpl-…"; created: Unix seconds; model: the served model name.
    ResponseBuilder(Kind kind, std::string id, int64_t created, std::string model);

    // Streaming: the chunk that opens a chat stream (delta.role = "assistant"); none for completions.
    std::vector<nlohmann::ordered_json> start();
    // Feeds a delta of model text; returns the chunks it completes (possibly none: tags may be held back).
    std::vector<nlohmann::ordered_json> feed(std::string_view text);
    // End of generation: flushes held-back text and returns the last chunks, ending with the one that carries
    // finish_reason; with includeUsage, then a chunk with empty choices and the usage (OpenAI's stream_options).
    std::vector<nlohmann::ordered_json> finish(bool outOfTokens, const Usage& usage, bool includeUsage);

    // Non-streaming: the whole response, valid after finish() (feed and finish collect it as they go).
    nlohmann::ordered_json response(const Usage& usage) const;

    const std::string& finishReason() const { return m_finishReason; }
    int toolCalls() const { return int(m_calls.size()); }

    // "<prefix><24 hex digits>" from a per-process random source.
    static std::string newId(const char* prefix);
    // SSE framing: "data: <json>\n\n"; "data: [DONE]\n\n" ends a stream.
    static std::string sse(const nlohmann::ordered_json& chunk);
    static std::string sseDone();

private:
    nlohmann::ordered_json chunk(nlohmann::ordered_json delta, const nlohmann::ordered_json& finishReason) const;
    void convert(const std::vector<m1::output_event>& events, std::vector<nlohmann::ordered_json>& out);

    Kind m_kind;
    std::string m_id, m_model;
    int64_t m_created;
    m1::output_parser m_parser;
    std::vector<m1::output_event> m_events;  // scratch
    std::string m_content, m_reasoning;      // collected for response()
    nlohmann::ordered_json m_calls = nlohmann::ordered_json::array();
    std::string m_finishReason;
};

}  // namespace m1::app
