#include "app/backends/EngineBackend.h"

#include "engine/cpu/cpu_backend.h"
#ifdef M1_WITH_CUDA_BACKEND
#include "engine/cuda/cuda_backend.h"
#endif
#include "engine/model/checkpoint.h"
#include "engine/model/session.h"
#include "engine/sampling/sampler.h"
#include "engine/tokenizer/tokenizer.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>

namespace m1::app {
namespace {

// `m1 make-model` marks its output in the index metadata; the app then labels the model "random weights" wherever
// its answers appear.
bool hasRandomWeights(const std::string& dir) {
    std::ifstream in(dir + "/model.safetensors.index.json");
    if (!in) return false;
    const nlohmann::json index = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    return index.is_object() && index.contains("metadata") && index["metadata"].is_object() &&
           index["metadata"].contains("m1studio_random_weights");
}

}  // namespace

EngineBackend::EngineBackend() = default;
EngineBackend::~EngineBackend() = default;

std::unique_ptr<EngineBackend> EngineBackend::open(const QString& modelDir, const QString& device, QString* error) {
    std::unique_ptr<EngineBackend> b(new EngineBackend);
    const std::string dir = QDir(modelDir).absolutePath().toStdString();
    try {
        b->m_checkpoint = m1::checkpoint::open(dir);
        b->m_tokenizer = m1::tokenizer::load(dir + "/tokenizer.json");
        if (device == QLatin1String("cpu")) {
            b->m_backend = std::make_unique<m1::cpu::cpu_backend>(*b->m_checkpoint);
        } else if (device == QLatin1String("cuda") || device.startsWith(QLatin1String("cuda:"))) {
#ifdef M1_WITH_CUDA_BACKEND
            m1::cuda::cuda_options options;
            bool ok = true;
            if (device.size() > 4) options.device = device.mid(5).toInt(&ok);
            if (!ok || options.device < 0) {
                *error = QStringLiteral("'%1' is not a GPU: use cuda or cuda:N").arg(device);
                return nullptr;
            }
            b->m_backend = std::make_unique<m1::cuda::cuda_backend>(*b->m_checkpoint, options);
#else
            *error = QStringLiteral("this build has no CUDA backend (configure with -DM1_ENABLE_CUDA=ON); use cpu");
            return nullptr;
#endif
        } else {
            *error = QStringLiteral("unknown backend '%1' (use cpu, cuda or cuda:N)").arg(device);
            return nullptr;
        }
    } catch (const std::exception& e) {
        *error = QString::fromUtf8(e.what());
        return nullptr;
    }
    b->m_endOfSentence = b->m_tokenizer->token_id("<end_of_sentence>");
    b->m_info.location = QDir(modelDir).absolutePath();
    b->m_info.backend = device;
    b->m_info.randomWeights = hasRandomWeights(dir);
    b->m_info.name = QFileInfo(QDir(modelDir).absolutePath()).fileName();
    return b;
}

qint64 EngineBackend::contextTokens() const {
    // MiniMax-M1 is trained for 1M tokens of context; max_position_embeddings is far larger (10.24M) and not a
    // statement about quality, so the product's budget is capped at 1M.
    return std::min<qint64>(1000000, m_backend->config().max_position_embeddings);
}

bool EngineBackend::preparePrefix(const std::vector<int32_t>& prefixIds, const GenerationCallbacks& callbacks,
                                  const std::atomic<bool>& cancel, QString* error) {
    error->clear();
    if (m_prefix && prefixIds == m_prefixIds) return true;
    const bool extends = m_prefix && prefixIds.size() > m_prefixIds.size() &&
                         std::equal(m_prefixIds.begin(), m_prefixIds.end(), prefixIds.begin());
    const int64_t valid = int64_t(m_tokenizer->size());
    std::unique_ptr<m1::session> s = extends ? std::make_unique<m1::session>(*m_backend, *m_prefix, valid)
                                             : std::make_unique<m1::session>(*m_backend, valid);
    const size_t start = extends ? m_prefixIds.size() : 0;
    std::span<const int32_t> rest(prefixIds.data() + start, prefixIds.size() - start);
    QElapsedTimer clock;
    clock.start();
    try {
        const bool done = s->prefill(rest, m_prefillChunk, [&](int64_t n, int64_t total) {
            if (cancel.load()) return false;
            return !callbacks.progress || callbacks.progress({n, total, clock.nsecsElapsed() / 1e9});
        });
        if (!done) return false;
    } catch (const std::exception& e) {
        *error = QString::fromUtf8(e.what());
        return false;
    }
    m_prefix = std::make_unique<m1::session_snapshot>(s->snapshot());
    m_prefixIds = prefixIds;
    return true;
}

bool EngineBackend::generate(const std::string& suffix, const SamplingSettings& sampling,
                             const GenerationCallbacks& callbacks, const std::atomic<bool>& cancel,
                             GenerationStats* stats, QString* error) {
    error->clear();
    *stats = {};
    QElapsedTimer clock;
    clock.start();
    const int64_t valid = int64_t(m_tokenizer->size());
    std::unique_ptr<m1::session> s = m_prefix ? std::make_unique<m1::session>(*m_backend, *m_prefix, valid)
                                              : std::make_unique<m1::session>(*m_backend, valid);
    stats->reusedTokens = m_prefix ? qint64(m_prefixIds.size()) : 0;
    const std::vector<int32_t> ids = m_tokenizer->encode(suffix);
    if (ids.empty()) {
        *error = QStringLiteral("nothing to generate from: the question is empty");
        return false;
    }
    stats->promptTokens = qint64(ids.size());
    try {
        const bool done = s->prefill(ids, m_prefillChunk, [&](int64_t n, int64_t total) {
            if (cancel.load()) return false;
            return !callbacks.progress || callbacks.progress({n, total, clock.nsecsElapsed() / 1e9});
        });
        if (!done) {
            stats->cancelled = true;
            return false;
        }
        m1::sampler_params params;
        params.temperature = float(sampling.temperature);
        params.top_p = float(sampling.topP);
        params.top_k = sampling.topK;
        params.seed = sampling.seed;
        m1::sampler pick(params, int32_t(valid));
        m1::stream_decoder text(*m_tokenizer);
        const qint64 decodeStart = clock.nsecsElapsed();
        std::vector<float> logits = s->logits();
        if (callbacks.firstLogits) callbacks.firstLogits(logits);
        for (qint64 n = 0; n < sampling.maxOutputTokens; ++n) {
            if (cancel.load()) {
                stats->cancelled = true;
                break;
            }
            const int32_t id = pick.sample(logits);
            if (n == 0) stats->timeToFirstTokenS = clock.nsecsElapsed() / 1e9;
            if (id < 0) {
                *error = QStringLiteral("the model produced no valid token (all logits are -inf or NaN)");
                return false;
            }
            ++stats->generatedTokens;
            if (id == m_endOfSentence) {
                stats->stoppedAtEnd = true;
                break;
            }
            // Other special tokens are not text: like servers that skip special tokens, they are not shown.
            const std::string delta = m_tokenizer->is_special(id) ? std::string() : text.push(id);
            if (!delta.empty() && callbacks.text && !callbacks.text(delta)) {
                stats->cancelled = true;
                break;
            }
            if (n + 1 < sampling.maxOutputTokens) logits = s->decode(id);
        }
        const std::string tail = text.finish();
        if (!tail.empty() && callbacks.text) callbacks.text(tail);
        stats->decodeSeconds = (clock.nsecsElapsed() - decodeStart) / 1e9;
    } catch (const std::exception& e) {
        *error = QString::fromUtf8(e.what());
        return false;
    }
    return !stats->cancelled;
}

}  // namespace m1::app
