#include "engine/cpu/cpu_backend.h"

#include "engine/cpu/cpu_lightning.h"
#include "engine/cpu/cpu_moe.h"
#include "engine/cpu/cpu_ops.h"
#include "engine/cpu/cpu_parallel.h"
#include "engine/model/forward.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace m1::cpu {

size_t cpu_state::bytes() const {
    size_t n = 0;
    for (const auto& s : lightning) n += s.size();
    for (const auto& c : kv) n += c.k.size() + c.v.size();
    return n * sizeof(float);
}

cpu_backend::cpu_backend(const checkpoint& ck, cpu_options options)
    : m_config(ck.config()), m_weights(load_cpu_weights(ck)), m_inv_freq(rope_inv_freq(m_config)),
      m_threads(options.n_threads > 0 ? options.n_threads : default_threads()) {
    m_slopes.resize(static_cast<size_t>(m_config.num_layers));
    for (int64_t l = 0; l < m_config.num_layers; ++l)
        if (m_config.kind(l) == layer_kind::lightning) m_slopes[static_cast<size_t>(l)] = lightning_slopes(m_config, l);
}

std::unique_ptr<backend_state> cpu_backend::new_state() const {
    auto s = std::make_unique<cpu_state>();
    s->owner = this;
    const size_t L = static_cast<size_t>(m_config.num_layers);
    s->lightning.resize(L);
    s->kv.resize(L);
    const size_t state_floats = static_cast<size_t>(m_config.num_heads * m_config.head_dim * m_config.head_dim);
    for (size_t l = 0; l < L; ++l)
        if (m_config.layers[l] == layer_kind::lightning) s->lightning[l].assign(state_floats, 0.0f);
    return s;
}

void cpu_backend::forward(backend_state& state_base, std::span<const int32_t> ids, logits_rows rows, float* logits) {
    auto* state = dynamic_cast<cpu_state*>(&state_base);
    if (!state || state->owner != this)
        throw std::invalid_argument("cpu backend: the state belongs to another backend");
    const model_config& c = m_config;
    const int64_t n = static_cast<int64_t>(ids.size()), H = c.hidden_size, V = c.vocab_size;
    for (int32_t id : ids)
        if (id < 0 || id >= V)
            throw std::invalid_argument("cpu backend: token id " + std::to_string(id) +
                                        " is outside the vocabulary [0, " + std::to_string(V) + ")");
    if (n == 0) return;

    std::vector<float> x(static_cast<size_t>(n * H));  // (n, H) residual stream
    std::vector<float> h(static_cast<size_t>(n * H));  // (n, H) normed input of a sub-block
    std::vector<float> b(static_cast<size_t>(n * H));  // (n, H) branch output, then the residual sum
    for (int64_t t = 0; t < n; ++t)
        std::copy_n(m_weights.embed.data() + int64_t(ids[size_t(t)]) * H, H, x.data() + t * H);

    for (int64_t l = 0; l < c.num_layers; ++l) {
        const layer_weights& w = m_weights.layers[static_cast<size_t>(l)];
        rmsnorm(x.data(), w.input_norm.data(), n, H, c.rms_norm_eps, h.data());
        if (w.kind == layer_kind::lightning)
            lightning_layer(c, w, m_slopes[size_t(l)], h.data(), n, state->lightning[size_t(l)].data(), b.data(),
                            m_threads);
        else
            softmax_attention_layer(c, w, m_inv_freq, h.data(), n, state->pos, state->kv[size_t(l)], b.data(),
                                    m_threads);
        // postnorm: the residual is the normed input h, scaled by α (spec §4.2)
        scale_add(float(c.attn_alpha(l)), h.data(), float(c.attn_beta(l)), b.data(), n * H);
        rmsnorm(b.data(), w.post_norm.data(), n, H, c.rms_norm_eps, h.data());
        moe_layer(c, w, h.data(), n, x.data());
        scale_add(float(c.mlp_alpha), h.data(), float(c.mlp_beta), x.data(), n * H);
    }
    state->pos += n;

    if (rows == logits_rows::none) return;
    const int64_t first = rows == logits_rows::all ? 0 : n - 1, count = n - first;
    rmsnorm(x.data() + first * H, m_weights.final_norm.data(), count, H, c.rms_norm_eps, h.data());
    linear(h.data(), count, H, m_weights.lm_head.data(), V, logits);  // fp32 LM head
}

}  // namespace m1::cpu
