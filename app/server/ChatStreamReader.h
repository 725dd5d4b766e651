// The client half of the OpenAI streaming protocol, used by RemoteBackend (and by the tests that compare servers):
// reads a /v1/chat/completions (or /v1/completions) server-sent-event stream as it arrives, in pieces cut anywhere,
// and re-emits it as MiniMax-M1 output text, which m1::output_parser (and so AnalysisSession) understands:
//   - reasoning split off by the server (delta.reasoning_content, or delta.reasoning as newer vLLM names it) is
//     wrapped as "<think>\n{reasoning}\n</think>\n" in front of the answer;
//   - content passes through as it is, so a server that does not split reasoning (raw "<think>" in content) or tool
//     calls (raw "<tool_calls>" in content) gives the same text;
//   - structured delta.tool_calls (index, id, function name, argument pieces) are collected and written as M1's
//     "<tool_calls>\n{"name": ..., "arguments": ...}\n</tool_calls>" block when the choice finishes.
// It also records finish_reason and usage (prompt, completion and cached prompt tokens, when the server sends them).
//
// Errors: a data payload that is not JSON, a line that is no SSE field, an error object in the stream, or a stream
// that ends before [DONE] and before any finish_reason. After an error, feed() returns false and does nothing.
// Thread-safety: one reader per stream, used from one thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace m1::app {

class ChatStreamReader {
public:
    // Appends the M1 text completed by `bytes` to *m1Text, one string per event that carried text (one per token
    // on vLLM, SGLang and m1 serve). Returns false on a malformed stream (see error()).
    bool feed(std::string_view bytes, std::vector<std::string>* m1Text);
    // The body ended: processes a last unterminated line, writes pending tool calls; false when the stream was
    // malformed or cut short.
    bool finish(std::vector<std::string>* m1Text);

    bool sawDone() const { return m_done; }
    const std::string& finishReason() const { return m_finishReason; }
    bool hasUsage() const { return m_hasUsage; }
    int64_t promptTokens() const { return m_promptTokens; }
    int64_t completionTokens() const { return m_completionTokens; }
    int64_t cachedTokens() const { return m_cachedTokens; }
    // Text deltas received (reasoning and content): one per token on vLLM, SGLang and m1 serve.
    int64_t deltas() const { return m_deltas; }
    bool anyText() const { return m_deltas > 0 || !m_calls.empty(); }
    const std::string& error() const { return m_error; }

private:
    struct PendingCall {
        std::string name, arguments;
    };

    bool line(std::string_view line, std::vector<std::string>* out);
    bool payload(const std::string& data, std::string* out);
    void closeThink(std::string* out);
    void flushCalls(std::string* out);
    bool fail(std::string message);

    std::string m_buffer;  // bytes after the last line break
    std::string m_data;    // data lines of the event being read
    bool m_hasData = false;
    bool m_inThink = false;
    bool m_done = false;
    bool m_callsFlushed = false;
    std::vector<PendingCall> m_calls;
    std::string m_finishReason;
    bool m_hasUsage = false;
    int64_t m_promptTokens = 0, m_completionTokens = 0, m_cachedTokens = 0, m_deltas = 0;
    std::string m_error;
};

}  // namespace m1::app
