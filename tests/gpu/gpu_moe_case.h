// One MoE test case shared by tst_gpu_moe (the prefill block) and tst_gpu_decode (the decode block): a random
// router and input in fp32, the CPU reference's routing, and random bf16-valued weights for exactly the experts the
// tokens choose — the other experts are NaN on the GPU, so a kernel that used one would show it.
#pragma once

#include "engine/cpu/cpu_moe.h"
#include "engine/cpu/cpu_ops.h"
#include "engine/cuda/cuda_moe.cuh"
#include "tests/gpu/gpu_check.h"

#include <cmath>
#include <set>

namespace m1::gpu_test {

struct moe_case {
    int64_t n = 0;
    model_config c;
    cpu::layer_weights lw;                          // the CPU side; experts nobody chose stay empty
    std::vector<float> g;                           // (n, H) the normed input
    cpu::routing ref_route;                         // the CPU reference's choices and weights
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
