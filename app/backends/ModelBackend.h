// The model behind an analysis session: the embedded engine (EngineBackend: CPU or CUDA, engine/) or a remote
// OpenAI-compatible endpoint (RemoteBackend: vLLM, SGLang, or `m1 serve`). A backend takes a prompt as a reusable prefix plus a per-question suffix and streams
// the generated text back; it keeps the prefilled prefix so that follow-up questions pay only for their own tokens.
//
// Streaming and cancel follow one rule (style.md habit 4): callbacks return bool, false means stop; cancel is also
// an atomic flag checked between chunks and tokens. Callbacks run on the thread that called the backend.
// Thread-safety: one call at a time per backend; use it from one worker thread.
#pragma once

#include "app/session/Conversation.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace m1 {
class tokenizer;
}

namespace m1::app {

struct PrefillProgress {
    qint64 done = 0;    // tokens prefilled so far in this call
    qint64 total = 0;   // tokens this call prefills
    double seconds = 0; // since the call started
    double tokensPerSecond() const { return seconds > 0 ? double(done) / seconds : 0; }
    double etaSeconds() const { return done > 0 ? seconds * double(total - done) / double(done) : 0; }
};

struct GenerationStats {
    qint64 promptTokens = 0;     // tokens prefilled by this call (suffix, plus the prefix when it was not cached)
    qint64 reusedTokens = 0;     // prefix tokens taken from the cache
    qint64 generatedTokens = 0;
    double timeToFirstTokenS = 0;
    double decodeSeconds = 0;
    bool cancelled = false;
    bool stoppedAtEnd = false;   // stopped on the end-of-sentence token (rather than the token budget)
};

struct GenerationCallbacks {
    std::function<bool(const PrefillProgress&)> progress;  // during prefill; false cancels
    std::function<bool(const std::string& delta)> text;    // complete UTF-8 text deltas; false stops generating
    // Optional: the logits the first generated token is drawn from (local engines only). Lets tests prove that a
    // reused prefix gives the same distribution as a fresh full prefill.
    std::function<void(const std::vector<float>& logits)> firstLogits;
};

class ModelBackend {
public:
    virtual ~ModelBackend() = default;

    virtual ModelInfo info() const = 0;
    // The tokenizer that counts the context (the model's own, or the local M1 tokenizer for a remote M1).
    virtual const m1::tokenizer& tokenizer() const = 0;
    // The model's context length in tokens.
    virtual qint64 contextTokens() const = 0;

    // Prefills `prefixIds` and keeps the state, unless the same prefix is already kept. Returns false when
    // cancelled or on error (*error set; empty when cancelled).
    virtual bool preparePrefix(const std::vector<int32_t>& prefixIds, const GenerationCallbacks& callbacks,
                               const std::atomic<bool>& cancel, QString* error) = 0;

    // Generates after the kept prefix followed by `suffix` (text, tokenized here). Stops at the end-of-sentence
    // token, at maxTokens, when a callback returns false, or when cancel is set.
    virtual bool generate(const std::string& suffix, const SamplingSettings& sampling,
                          const GenerationCallbacks& callbacks, const std::atomic<bool>& cancel,
                          GenerationStats* stats, QString* error) = 0;
};

}  // namespace m1::app
