#include "engine/tp/tp_emulated_backend.h"

#include "engine/cpu/cpu_moe.h"
#include "engine/cpu/cpu_ops.h"
#include "engine/cpu/cpu_parallel.h"
#include "engine/model/forward.h"
#include "engine/tp/tp_collectives.h"
#include "engine/tp/tp_lightning.h"

#include <algorithm>
#include <stdexcept>

namespace m1::tp {

size_t tp_emulated_state::bytes() const {
    size_t n = 0;
    for (const auto& r : ranks) {
        for (const auto& s : r.lightning) n += s.size();
        for (const auto& c : r.kv) n += c.k.size() + c.v.size();
    }
    return n * sizeof(float);
}

tp_emulated_backend::tp_emulated_backend(const checkpoint& ck, int tp_size, cpu::cpu_options options)
    : m_config(ck.config()), m_plan(make_tp_plan(m_config, tp_size)), m_rank_config(m_plan.rank_config(m_config)),
      m_inv_freq(rope_inv_freq(m_config)),
      m_threads(options.n_threads > 0 ? options.n_threads : cpu::default_threads()) {
    {
        const cpu::model_weights whole = cpu::load_cpu_weights(ck);  // released once every rank has its slices
        for (int r = 0; r < m_plan.size; ++r) m_ranks.push_back(slice_rank_weights(whole, m_config, m_plan, r));
    }
    m_slopes.resize(static_cast<size_t>(m_config.num_layers));
    for (int64_t l = 0; l < m_config.num_layers; ++l)
        if (m_config.kind(l) == layer_kind::lightning) m_slopes[size_t(l)] = lightning_slopes(m_config, l);
}

std::unique_ptr<backend_state> tp_emulated_backend::new_state() const {
    auto s = std::make_unique<tp_emulated_state>();
    s->owner = this;
    const size_t L = static_cast<size_t>(m_config.num_layers);
    const size_t state_floats = static_cast<size_t>(m_plan.heads_per_rank * m_config.head_dim * m_config.head_dim);
    s->ranks.resize(static_cast<size_t>(m_plan.size));
    for (tp_rank_state& r : s->ranks) {
        r.lightning.resize(L);
        r.kv.resize(L);
        for (size_t l = 0; l < L; ++l)
            if (m_config.layers[l] == layer_kind::lightning) r.lightning[l].assign(state_floats, 0.0f);
    }
    return s;
}

void tp_emulated_backend::forward(backend_state& state_base, std::span<const int32_t> ids, logits_rows rows,
                                  float* logits) {
    auto* state = dynamic_cast<tp_emulated_state*>(&state_base);
    if (!state || state->owner != this)
        throw std::invalid_argument(name() + " backend: the state belongs to another backend");
    const model_config& c = m_config;
    const int64_t n = static_cast<int64_t>(ids.size()), H = c.hidden_size, V = c.vocab_size;
    for (int32_t id : ids)
        if (id < 0 || id >= V)
            throw std::invalid_argument(name() + " backend: token id " + std::to_string(id) +
                                        " is outside the vocabulary [0, " + std::to_string(V) + ")");
    if (n == 0) return;
    const size_t ranks = m_ranks.size();

    // Per rank (n, H) buffers for the values that are all-reduced; after a reduction part[0] holds the sum.
    std::vector<std::vector<float>> part(ranks, std::vector<float>(static_cast<size_t>(n * H)));
    std::vector<float*> part_ptrs;
    for (auto& p : part) part_ptrs.push_back(p.data());
    std::vector<float> x(static_cast<size_t>(n * H));  // (n, H) residual stream (replicated)
    std::vector<float> h(static_cast<size_t>(n * H));  // (n, H) normed input of a sub-block (replicated)

    // vocabulary-parallel embedding: the owning rank copies the row, the others contribute zeros
    for (size_t r = 0; r < ranks; ++r) {
        const index_range vr = m_plan.ranks[r].vocab;
        std::fill(part[r].begin(), part[r].end(), 0.0f);
        for (int64_t t = 0; t < n; ++t) {
            const int64_t id = ids[size_t(t)];
            if (id >= vr.begin && id < vr.end)
                std::copy_n(m_ranks[r].embed.data() + (id - vr.begin) * H, H, part[r].data() + t * H);
        }
    }
    all_reduce_sum(part_ptrs, n * H);
    std::copy(part[0].begin(), part[0].end(), x.begin());

    std::vector<const cpu::layer_weights*> lw(ranks);
    std::vector<float*> lstates(ranks);
    for (int64_t l = 0; l < c.num_layers; ++l) {
        const size_t li = static_cast<size_t>(l);
        for (size_t r = 0; r < ranks; ++r) lw[r] = &m_ranks[r].layers[li];
        const cpu::layer_weights& shared = *lw[0];  // the replicated norms and router are the same on every rank
        cpu::rmsnorm(x.data(), shared.input_norm.data(), n, H, c.rms_norm_eps, h.data());
        if (shared.kind == layer_kind::lightning) {
            for (size_t r = 0; r < ranks; ++r) lstates[r] = state->ranks[r].lightning[li].data();
            lightning_layer_tp(c, m_plan, lw, m_slopes[li], h.data(), n, lstates, part_ptrs, m_threads);
        } else {
            for (size_t r = 0; r < ranks; ++r)
                cpu::softmax_attention_layer(m_rank_config, *lw[r], m_inv_freq, h.data(), n, state->pos,
                                             state->ranks[r].kv[li], part[r].data(), m_threads);
            all_reduce_sum(part_ptrs, n * H);
        }
        float* b = part[0].data();  // the attention branch output, then the residual sum
        cpu::scale_add(float(c.attn_alpha(l)), h.data(), float(c.attn_beta(l)), b, n * H);
        cpu::rmsnorm(b, shared.post_norm.data(), n, H, c.rms_norm_eps, h.data());
        for (size_t r = 0; r < ranks; ++r) cpu::moe_layer(m_rank_config, *lw[r], h.data(), n, part[r].data());
        all_reduce_sum(part_ptrs, n * H);
        std::copy(part[0].begin(), part[0].end(), x.begin());
        cpu::scale_add(float(c.mlp_alpha), h.data(), float(c.mlp_beta), x.data(), n * H);
    }
    state->pos += n;

    if (rows == logits_rows::none) return;
    const int64_t first = rows == logits_rows::all ? 0 : n - 1, count = n - first;
    cpu::rmsnorm(x.data() + first * H, m_ranks[0].final_norm.data(), count, H, c.rms_norm_eps, h.data());
    const int64_t Vr = m_plan.vocab_per_rank;
    std::vector<std::vector<float>> shard(ranks, std::vector<float>(static_cast<size_t>(count * Vr)));
    std::vector<const float*> shard_ptrs;
    for (size_t r = 0; r < ranks; ++r) {
        cpu::linear(h.data(), count, H, m_ranks[r].lm_head.data(), Vr, shard[r].data());  // fp32 LM head rows
        shard_ptrs.push_back(shard[r].data());
    }
    all_gather_columns(shard_ptrs, count, Vr, logits);
}

}  // namespace m1::tp
