// One MoE test case shared by tst_gpu_moe (the prefill block) and tst_gpu_decode (the decode block): a random
// router and input in fp32, the CPU reference's routing, and random bf16-valued weights for exactly the experts the
// tokens choose — the other experts are NaN on the GPU, so a kernel that used one would show it.
//
// Near-ties: the GPU's router product adds in another order than the CPU's, so two logits closer than that
// rounding can rank either way (seed 1472349278586505483 of tst_gpu_moe had a token whose second and third logits
// were 2.6e-7 apart: the GPU chose the third). `decisive` marks the tokens whose top k + 1 logits are all further
// apart than a bound on that rounding; the routing and output checks hold on those rows.
#pragma once

#include "engine/cpu/cpu_moe.h"
#include "engine/cpu/cpu_ops.h"
#include "engine/cuda/cuda_moe.cuh"
#include "tests/gpu/gpu_check.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace m1::gpu_test {

struct moe_case {
    int64_t n = 0;
    model_config c;
    cpu::layer_weights lw;                          // the CPU side; experts nobody chose stay empty
    std::vector<float> g;                           // (n, H) the normed input
    cpu::routing ref_route;                         // the CPU reference's choices and weights
    std::vector<uint8_t> decisive;                  // (n) no near-tie among the token's top k + 1 logits
    std::set<int32_t> used;                         // the experts chosen by some token
    cuda::device_buffer<float> router, input, out;  // out poisoned with NaN
    cuda::device_buffer<cuda::bf16> w13, w2;        // (E, 2I, H), (E, H, I); unused experts NaN

    cuda::moe_weights weights() const {
        return {router.data(), w13.data(),          w2.data(),          c.hidden_size,
                c.num_experts, c.experts_per_token, c.intermediate_size};
    }
    std::vector<float> reference() const {  // cpu::moe_layer on the same values
        std::vector<float> ref(static_cast<size_t>(n * c.hidden_size));
        cpu::moe_layer(c, lw, g.data(), n, ref.data());
        return ref;
    }
};

// The rows (width values each) of v whose token is marked in keep.
template <class T>
std::vector<T> rows_where(const std::vector<T>& v, int64_t width, const std::vector<uint8_t>& keep) {
    std::vector<T> out;
    for (size_t t = 0; t < keep.size(); ++t)
        if (keep[t]) out.insert(out.end(), v.begin() + int64_t(t) * width, v.begin() + int64_t(t + 1) * width);
    return out;
}

inline moe_case make_moe_case(rng& r, int64_t n, int64_t H, int64_t E, int64_t I, int64_t k) {
    moe_case m;
    m.n = n;
    m.c.hidden_size = H;
    m.c.num_experts = E;
    m.c.intermediate_size = I;
    m.c.experts_per_token = k;
    const float rs = 1.0f / std::sqrt(float(H));
    m.lw.router = r.fill(size_t(E * H), -3 * rs, 3 * rs, false);  // fp32, spread so choices vary per token
    m.g = r.fill(size_t(n * H), -2, 2, false);                    // the normed input, fp32
    // Routing on the CPU decides which experts need values.
    std::vector<float> logits(static_cast<size_t>(n * E));
    cpu::linear(m.g.data(), n, H, m.lw.router.data(), E, logits.data());
    m.ref_route = cpu::route_tokens(logits.data(), n, E, k);
    // Rounding bound of a logit: 8·√H·2⁻²⁴·Σ|g·w| (a few times the typical error of an fp32 sum in any order).
    m.decisive.assign(size_t(n), 1);
    for (int64_t t = 0; t < n; ++t) {
        std::vector<std::pair<float, double>> ranked(static_cast<size_t>(E));  // (logit, its rounding bound)
        for (int64_t e = 0; e < E; ++e) {
            double mag = 0;
            for (int64_t i = 0; i < H; ++i)
                mag += std::fabs(double(m.g[size_t(t * H + i)]) * m.lw.router[size_t(e * H + i)]);
            ranked[size_t(e)] = {logits[size_t(t * E + e)], 8 * std::sqrt(double(H)) * std::ldexp(mag, -24)};
        }
        std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
        for (int64_t j = 0; j < std::min(k, E - 1); ++j)
            if (double(ranked[size_t(j)].first) - ranked[size_t(j + 1)].first <=
                std::max(ranked[size_t(j)].second, ranked[size_t(j + 1)].second))
                m.decisive[size_t(t)] = 0;
    }
    m.used = std::set<int32_t>(m.ref_route.expert.begin(), m.ref_route.expert.end());
    m.router.upload(m.lw.router);
    m.input.upload(m.g);
    m.out.reserve(size_t(n * H));
    m.w13.reserve(size_t(E * 2 * I * H));
    m.w2.reserve(size_t(E * H * I));
    cuda::check(cudaMemset(m.w13.data(), 0xff, m.w13.bytes()), "poison experts");  // 0xffff is a bf16 NaN
    cuda::check(cudaMemset(m.w2.data(), 0xff, m.w2.bytes()), "poison experts");
    cuda::check(cudaMemset(m.out.data(), 0xff, m.out.bytes()), "poison output");
    m.lw.experts.resize(size_t(E));
    const float s1 = 1.0f / std::sqrt(float(H)), s2 = 1.0f / std::sqrt(float(I));
    for (int32_t e : m.used) {
        cpu::expert_weights& ew = m.lw.experts[size_t(e)];
        ew.w1 = r.fill(size_t(I * H), -s1 * 1.7f, s1 * 1.7f);
        ew.w3 = r.fill(size_t(I * H), -s1 * 1.7f, s1 * 1.7f);
        ew.w2 = r.fill(size_t(H * I), -s2 * 1.7f, s2 * 1.7f);
        cuda::upload_bf16(m.w13, ew.w1.data(), ew.w1.size(), size_t(e) * 2 * I * H);
        cuda::upload_bf16(m.w13, ew.w3.data(), ew.w3.size(), size_t(e) * 2 * I * H + I * H);
        cuda::upload_bf16(m.w2, ew.w2.data(), ew.w2.size(), size_t(e) * H * I);
    }
    return m;
}

}  // namespace m1::gpu_test
