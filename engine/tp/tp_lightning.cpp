#include "engine/tp/tp_lightning.h"

#include "engine/cpu/cpu_lightning.h"
#include "engine/cpu/cpu_ops.h"
#include "engine/cpu/cpu_parallel.h"
#include "engine/tp/tp_collectives.h"

#include <algorithm>
#include <cmath>

namespace m1::tp {

void lightning_layer_tp(const model_config& c, const tp_plan& plan, std::span<const cpu::layer_weights* const> w,
                        const std::vector<float>& slopes, const float* h, int64_t n, std::span<float* const> states,
                        std::span<float* const> partials, int n_threads) {
    const int64_t H = c.hidden_size, d = c.head_dim, D = c.attn_dim();
    const int64_t hr = plan.heads_per_rank, Dr = hr * d;
    const size_t ranks = plan.ranks.size();
    std::vector<std::vector<float>> o(ranks, std::vector<float>(static_cast<size_t>(n * Dr)));  // (n, Dr) per rank
    std::vector<std::vector<double>> ss(ranks, std::vector<double>(static_cast<size_t>(n)));    // (n) per rank
    std::vector<float> qkv(static_cast<size_t>(n * 3 * Dr));                                    // (n, hr, 3, d)

    // Phase 1, every rank: its heads' outputs and the partial sums of squares of the output RMSNorm.
    for (size_t r = 0; r < ranks; ++r) {
        cpu::linear(h, n, H, w[r]->qkv.data(), 3 * Dr, qkv.data());
        cpu::silu_inplace(qkv.data(), n * 3 * Dr);
        const int64_t first_head = plan.ranks[r].q_heads.begin;
        float* orank = o[r].data();
        const int threads = cpu::threads_for(
            double(hr) * double(n) * double(d) * double(2 * std::min(n, c.lightning_block) + 2 * d), n_threads);
        cpu::blas_single_thread_scope one_blas_thread(threads > 1);
        cpu::parallel_for(hr, threads, [&](int64_t j) {
            const float* q = qkv.data() + j * 3 * d;
            const float slope = slopes[static_cast<size_t>(first_head + j)];  // the GLOBAL head's slope
            float* S = states[r] + j * d * d;
            if (n == 1)
                cpu::lightning_head_step(q, q + d, q + 2 * d, d, slope, S, orank + j * d);
            else
                cpu::lightning_head_blocks(q, q + d, q + 2 * d, 3 * Dr, n, d, slope, c.lightning_block, S,
                                           orank + j * d, Dr);
        });
        for (int64_t t = 0; t < n; ++t) {
            double sum = 0;
            for (int64_t i = 0; i < Dr; ++i) sum += double(orank[t * Dr + i]) * double(orank[t * Dr + i]);
            ss[r][static_cast<size_t>(t)] = sum;
        }
    }

    std::vector<double*> ss_ptrs;
    for (auto& v : ss) ss_ptrs.push_back(v.data());
    all_reduce_sum(ss_ptrs, n);

    // Phase 2, every rank: normalise its slice with the global mean, gate, row-parallel out_proj.
    std::vector<float> gate(static_cast<size_t>(n * Dr));
    for (size_t r = 0; r < ranks; ++r) {
        float* orank = o[r].data();
        const float* nw = w[r]->out_norm.data();
        for (int64_t t = 0; t < n; ++t) {
            // the same rounding as cpu::rmsnorm: the scale in double, rounded once to fp32
            const float scale =
                float(1.0 / std::sqrt(ss[r][static_cast<size_t>(t)] / double(D) + c.lightning_norm_eps));
            for (int64_t i = 0; i < Dr; ++i) orank[t * Dr + i] = nw[i] * (orank[t * Dr + i] * scale);
        }
        cpu::linear(h, n, H, w[r]->output_gate.data(), Dr, gate.data());
        for (int64_t i = 0; i < n * Dr; ++i) orank[i] *= cpu::sigmoid(gate[static_cast<size_t>(i)]);
        cpu::linear(orank, n, Dr, w[r]->out_proj.data(), H, partials[r]);
    }
    all_reduce_sum(partials, n * H);
}

}  // namespace m1::tp
