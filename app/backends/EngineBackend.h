// The embedded MiniMax-M1 engine as a ModelBackend: a checkpoint directory run by the CPU reference backend (and by
// the CUDA backend once it exists). The prefilled prefix is kept as a session snapshot; every question forks it,
// so a follow-up pays only for its own tokens. A new prefix that extends the kept one continues from it.
#pragma once

#include "app/backends/ModelBackend.h"

#include <memory>

namespace m1 {
class backend;
class checkpoint;
class session_snapshot;
}  // namespace m1

namespace m1::app {

class EngineBackend final : public ModelBackend {
public:
    ~EngineBackend() override;

    // Opens a model directory (config.json, safetensors + index, tokenizer.json). `device` is "cpu", "cuda" (GPU 0)
    // or "cuda:N".
    // Returns nullptr with *error naming the file and the problem.
    static std::unique_ptr<EngineBackend> open(const QString& modelDir, const QString& device, QString* error);

    ModelInfo info() const override { return m_info; }
    const m1::tokenizer& tokenizer() const override { return *m_tokenizer; }
    qint64 contextTokens() const override;

    bool preparePrefix(const std::vector<int32_t>& prefixIds, const GenerationCallbacks& callbacks,
                       const std::atomic<bool>& cancel, QString* error) override;
    bool generate(const std::string& suffix, const SamplingSettings& sampling, const GenerationCallbacks& callbacks,
                  const std::atomic<bool>& cancel, GenerationStats* stats, QString* error) override;

    // Tokens of the kept prefix (0 when none).
    qint64 keptPrefixTokens() const { return qint64(m_prefixIds.size()); }

private:
    EngineBackend();

    ModelInfo m_info;
    std::unique_ptr<m1::checkpoint> m_checkpoint;
    std::unique_ptr<m1::tokenizer> m_tokenizer;
    std::unique_ptr<m1::backend> m_backend;
    std::unique_ptr<m1::session_snapshot> m_prefix;  // state after m_prefixIds
    std::vector<int32_t> m_prefixIds;
    int32_t m_endOfSentence = -1;
    qint64 m_prefillChunk = 512;
};

}  // namespace m1::app
