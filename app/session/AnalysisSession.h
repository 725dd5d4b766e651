// One analysis over a workspace: the sources rendered into a context once, prefilled once, then any number of
// questions, each streamed as reasoning, answer, tool calls and citations, and recorded in a Conversation.
//
// Data flow: sources -> ContextBuilder (tokens + anchors) -> ModelBackend::preparePrefix (once) ->
// per question: ModelBackend::generate(turn suffix) -> output_parser (reasoning / answer / tool calls) ->
// CitationParser + CitationVerifier -> callbacks and the Conversation.
//
// Callbacks run on the calling thread (a worker thread in the GUI); returning false from a streaming callback, or
// setting the cancel flag, stops the work at the next token or prefill chunk. Earlier turns' reasoning is not fed
// back into later prompts (only questions and answers are), as OpenAI-compatible servers do with reasoning_content.
// Not thread-safe: one thread drives a session.
#pragma once

#include "app/backends/ModelBackend.h"
#include "app/citations/CitationVerifier.h"
#include "app/context/ContextBuilder.h"
#include "app/session/Conversation.h"

namespace m1::app {

struct AnalysisCallbacks {
    // Prefill of the sources (prefix = true, once) or of a question (prefix = false).
    std::function<bool(const PrefillProgress& progress, bool prefix)> prefill;
    std::function<bool(const QString& delta)> reasoning;
    std::function<bool(const QString& delta)> answer;
    std::function<void(const QString& name, const QString& argumentsJson)> toolCall;
    std::function<void(const Citation& citation)> citation;  // verified as soon as its closing bracket arrives
    std::function<void(const std::vector<float>& logits)> firstLogits;  // see GenerationCallbacks
};

class AnalysisSession {
public:
    explicit AnalysisSession(ModelBackend& backend);

    // Renders and counts the context; false with *error (per-source counts when over budget).
    bool setContext(const QString& systemPrompt, const QList<ContextSource>& sources, qint64 outputReserve,
                    QString* error);
    const ContextResult& context() const { return m_context; }

    // Prefills the context (or finds it already prefilled). false when cancelled (error empty) or failed.
    bool prefillSources(const AnalysisCallbacks& callbacks, const std::atomic<bool>& cancel, QString* error);

    // Asks a question after the earlier turns; appends the turn (also a cancelled one, marked in its answer
    // stats) to conversation(). Prefills the sources first if that has not happened yet.
    bool ask(const QString& question, const AnalysisCallbacks& callbacks, const std::atomic<bool>& cancel,
             QString* error);

    Conversation& conversation() { return m_conversation; }
    const Conversation& conversation() const { return m_conversation; }
    const CitationVerifier& verifier() const { return m_verifier; }

private:
    ModelBackend& m_backend;
    ContextResult m_context;
    CitationVerifier m_verifier;
    Conversation m_conversation;
    bool m_prefilled = false;
};

}  // namespace m1::app
