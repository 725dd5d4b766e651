// A ModelBackend served by any OpenAI-compatible server (vLLM or SGLang serving MiniMax-M1 on a cluster, `m1 serve`,
// or another model): a streaming /v1/chat/completions client.
//
// Why chat completions with messages (not a raw /v1/completions prompt): it is the one endpoint every
// OpenAI-compatible server and gateway offers, the server applies its model's own chat template, and a server
// that splits reasoning and tool calls (vLLM's minimax_m1 / minimax parsers) does so only there. The prompt the
// app builds (AnalysisSession: prefix + turn suffix, in M1's official chat format) is read back into messages
// (system, user, assistant, tool); the server's template renders them to the same text, so its prefix cache
// (vLLM's automatic prefix caching) still sees the same tokens for the sources on every question. Text that is not
// in M1's chat format is sent as one user message.
//
// Output: ChatStreamReader turns the stream back into M1 text (<think> block, answer, <tool_calls> block), so
// AnalysisSession parses a remote answer exactly like a local one, whichever form the server uses.
//
// Token counts for the context budget come from a local tokenizer.json (for MiniMax-M1 the real one); the server
// does not count for us before we send. contextTokens() is 1M (MiniMax-M1's trained context) unless set.
// Network behaviour: connect timeout, read timeout (the longest silence allowed, which covers the server's
// prefill of a long prompt), retries with exponential backoff only while nothing has been received (the server
// could not be reached, or answered 429/502/503/504); once the first byte of an answer arrived, a failure is
// reported, never retried. Cancel (the atomic flag or a callback returning false) closes the connection within
// about 50 ms, also while the server is silent.
//
// Ownership: owns (or shares) its tokenizer. Thread-safety: one call at a time (ModelBackend's rule); the cancel flag
// may be set from any thread.
#pragma once

#include "app/backends/ModelBackend.h"

#include <memory>
#include <string>

namespace m1::app {

struct RemoteSettings {
    std::string url;            // "http://host:8000" or ".../v1"; https needs a server certificate the system trusts
    std::string apiKey;         // sent as "Authorization: Bearer KEY" when not empty
    std::string modelName;      // empty: the first model the server lists at /v1/models
    std::string tokenizerPath;  // a tokenizer.json that counts the context (MiniMax-M1's for M1)
    int64_t contextTokens = 1000000;
    double connectTimeoutS = 10;
    double readTimeoutS = 600;
    int maxRetries = 3;
    double firstBackoffS = 0.5;  // doubles per retry
};

class RemoteBackend final : public ModelBackend {
public:
    ~RemoteBackend() override;

    // Loads the tokenizer and checks the URL; when no model name is given, asks /v1/models for it (and learns from
    // an m1 serve whether the model is a random-weight demo model, to label it as such). Returns nullptr
    // with *error naming the problem (the tokenizer file, the URL, the server's answer).
    static std::unique_ptr<RemoteBackend> open(const RemoteSettings& settings, QString* error);
    // Same with a tokenizer already loaded (shared, e.g. with the UI's token counter); settings.tokenizerPath is
    // then only a label.
    static std::unique_ptr<RemoteBackend> open(const RemoteSettings& settings,
                                               std::shared_ptr<const m1::tokenizer> tokenizer, QString* error);

    ModelInfo info() const override { return m_info; }
    const m1::tokenizer& tokenizer() const override { return *m_tokenizer; }
    qint64 contextTokens() const override { return m_settings.contextTokens; }

    // Remembers the prefix (the server prefills it with the first question); never fails.
    bool preparePrefix(const std::vector<int32_t>& prefixIds, const GenerationCallbacks& callbacks,
                       const std::atomic<bool>& cancel, QString* error) override;
    bool generate(const std::string& suffix, const SamplingSettings& sampling, const GenerationCallbacks& callbacks,
                  const std::atomic<bool>& cancel, GenerationStats* stats, QString* error) override;

    // The request body generate() sends (for tests and logs).
    std::string requestBody(const std::string& prompt, const SamplingSettings& sampling) const;
    // M1 chat-format text -> OpenAI messages (see the top of this file).
    static std::string messagesJson(const std::string& prompt);

    const RemoteSettings& settings() const { return m_settings; }

private:
    RemoteBackend() = default;

    RemoteSettings m_settings;
    std::string m_scheme_host_port, m_basePath;  // "http://h:p", "/v1"
    ModelInfo m_info;
    std::shared_ptr<const m1::tokenizer> m_tokenizer;
    std::string m_prefixText;
};

}  // namespace m1::app
