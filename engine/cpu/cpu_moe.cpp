#include "engine/cpu/cpu_moe.h"

#include "engine/cpu/cpu_ops.h"

#include <algorithm>
#include <numeric>

namespace m1::cpu {

routing route_tokens(const float* router_logits, int64_t n, int64_t n_experts, int64_t k) {
    routing r;
    r.expert.resize(static_cast<size_t>(n * k));
    r.weight.resize(static_cast<size_t>(n * k));
    std::vector<float> p(static_cast<size_t>(n_experts));
    std::vector<int32_t> order(static_cast<size_t>(n_experts));
    for (int64_t t = 0; t < n; ++t) {
        std::copy(router_logits + t * n_experts, router_logits + (t + 1) * n_experts, p.begin());
        softmax_inplace(p.data(), n_experts);
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return p[size_t(a)] > p[size_t(b)]; });
        float sum = 0;
        for (int64_t j = 0; j < k; ++j) sum += p[static_cast<size_t>(order[static_cast<size_t>(j)])];
        for (int64_t j = 0; j < k; ++j) {
            const int32_t e = order[static_cast<size_t>(j)];
            r.expert[static_cast<size_t>(t * k + j)] = e;
            r.weight[static_cast<size_t>(t * k + j)] = p[static_cast<size_t>(e)] / sum;
        }
    }
    return r;
}

void moe_layer(const model_config& c, const layer_weights& w, const float* g, int64_t n, float* m) {
    const int64_t H = c.hidden_size, E = c.num_experts, k = c.experts_per_token, I = c.intermediate_size;
    std::vector<float> logits(static_cast<size_t>(n * E));
    linear(g, n, H, w.router.data(), E, logits.data());
    const routing r = route_tokens(logits.data(), n, E, k);

    std::fill(m, m + n * H, 0.0f);
    std::vector<int64_t> tokens;
    std::vector<float> weights, x, a, b, y;
    for (int64_t e = 0; e < E; ++e) {
        tokens.clear();
        weights.clear();
        for (int64_t t = 0; t < n; ++t)
            for (int64_t j = 0; j < k; ++j)
                if (r.expert[static_cast<size_t>(t * k + j)] == e) {
                    tokens.push_back(t);
                    weights.push_back(r.weight[static_cast<size_t>(t * k + j)]);
                }
        const int64_t ne = static_cast<int64_t>(tokens.size());
        if (ne == 0) continue;
        x.resize(static_cast<size_t>(ne * H));  // (ne, H) gathered inputs
        for (int64_t i = 0; i < ne; ++i)
            std::copy(g + tokens[size_t(i)] * H, g + (tokens[size_t(i)] + 1) * H, x.begin() + i * H);
        const expert_weights& ew = w.experts[static_cast<size_t>(e)];
        a.resize(static_cast<size_t>(ne * I));
        b.resize(static_cast<size_t>(ne * I));
        y.resize(static_cast<size_t>(ne * H));
        linear(x.data(), ne, H, ew.w1.data(), I, a.data());
        linear(x.data(), ne, H, ew.w3.data(), I, b.data());
        for (int64_t i = 0; i < ne * I; ++i) a[size_t(i)] = silu(a[size_t(i)]) * b[size_t(i)];
        linear(a.data(), ne, I, ew.w2.data(), H, y.data());
        for (int64_t i = 0; i < ne; ++i) {
            float* out = m + tokens[size_t(i)] * H;
            const float wt = weights[size_t(i)];
            for (int64_t j = 0; j < H; ++j) out[j] += y[size_t(i * H + j)] * wt;
        }
    }
}

}  // namespace m1::cpu
