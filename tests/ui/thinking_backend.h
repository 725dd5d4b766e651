// A ModelBackend for the tests that runs the real tiny engine but frames its first tokens as a think block, the way
// MiniMax-M1 writes "<think>\n…\n</think>\n" before its answer. The tiny model has random weights and never opens a
// think block by itself, so without this the Reasoning pane could only be tested with hand-fed text. Every token
// still comes from the engine; only the two tags are added around the first `reasoningTokens` of them.
#pragma once

#include "app/backends/EngineBackend.h"

#include <memory>

namespace m1::ui::test {

class ThinkingBackend final : public m1::app::ModelBackend {
public:
    ThinkingBackend(std::unique_ptr<m1::app::EngineBackend> engine, int reasoningTokens)
        : m_engine(std::move(engine)), m_reasoningTokens(reasoningTokens) {}

    m1::app::ModelInfo info() const override { return m_engine->info(); }
    const m1::tokenizer& tokenizer() const override { return m_engine->tokenizer(); }
    qint64 contextTokens() const override { return m_engine->contextTokens(); }
    bool preparePrefix(const std::vector<int32_t>& prefixIds, const m1::app::GenerationCallbacks& callbacks,
                       const std::atomic<bool>& cancel, QString* error) override {
        return m_engine->preparePrefix(prefixIds, callbacks, cancel, error);
    }
    bool generate(const std::string& suffix, const m1::app::SamplingSettings& sampling,
                  const m1::app::GenerationCallbacks& callbacks, const std::atomic<bool>& cancel,
                  m1::app::GenerationStats* stats, QString* error) override {
        m1::app::GenerationCallbacks framed = callbacks;
        int seen = 0;
        framed.text = [&](const std::string& delta) {
            std::string text = delta;
            // Tags of their own: the random text may end in a character the tags would merge with.
            if (seen == 0) text = "<think>\n" + text;
            if (seen == m_reasoningTokens) text = "\n</think>\n" + text;
            ++seen;
            return callbacks.text(text);
        };
        return m_engine->generate(suffix, sampling, framed, cancel, stats, error);
    }

private:
    std::unique_ptr<m1::app::EngineBackend> m_engine;
    int m_reasoningTokens;
};

}  // namespace m1::ui::test
