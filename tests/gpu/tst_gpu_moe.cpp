// The MoE block on the GPU against the CPU reference (engine/cpu/cpu_moe.h) fed the same bf16-rounded weights and
// inputs: routing (softmax, top-2, renormalise) must choose the same experts with the same weights, and the block's
// output must be within 1e-2 relative. Shapes: M1's real widths (hidden 6144, 32 experts × 9216; only the experts
// the tokens choose get values on the CPU side, the others are NaN on the GPU so that using one would show), a
// mid-size shape and a small one with many tokens per expert.
#include "engine/cpu/cpu_moe.h"
#include "engine/cpu/cpu_ops.h"
#include "engine/cuda/cuda_moe.cuh"
#include "tests/gpu/gpu_check.h"

#include <set>

using namespace m1;
using namespace m1::cuda;

namespace {

void run_shape(gpu_test::suite& s, gpu_test::rng& r, int64_t n, int64_t H, int64_t E, int64_t I, int64_t k,
               bool split) {
    const std::string name = std::string(split ? "hi+lo inputs " : "bf16 inputs ") + "n=" + std::to_string(n) +
                             " H=" + std::to_string(H) + " E=" + std::to_string(E) + " I=" + std::to_string(I) +
                             " top-" + std::to_string(k);
    model_config c;
    c.hidden_size = H;
    c.num_experts = E;
    c.intermediate_size = I;
    c.experts_per_token = k;
    cpu::layer_weights lw;
    const float rs = 1.0f / std::sqrt(float(H));
    lw.router = r.fill(size_t(E * H), -3 * rs, 3 * rs, false);         // fp32, spread so choices vary per token
    const std::vector<float> g = r.fill(size_t(n * H), -2, 2, false);  // the normed input, fp32

    // Routing on the CPU decides which experts need values.
    std::vector<float> logits(static_cast<size_t>(n * E));
    cpu::linear(g.data(), n, H, lw.router.data(), E, logits.data());
    const cpu::routing ref_route = cpu::route_tokens(logits.data(), n, E, k);
    const std::set<int32_t> used(ref_route.expert.begin(), ref_route.expert.end());

    device_buffer<float> d_router, d_g, m(size_t(n * H));
    d_router.upload(lw.router);
    d_g.upload(g);
    device_buffer<bf16> w13(size_t(E * 2 * I * H)), w2(size_t(E * H * I));
    check(cudaMemset(w13.data(), 0xff, w13.bytes()), "poison experts");  // 0xffff is a bf16 NaN
    check(cudaMemset(w2.data(), 0xff, w2.bytes()), "poison experts");
    check(cudaMemset(m.data(), 0xff, m.bytes()), "poison output");
    lw.experts.resize(size_t(E));
    const float s1 = 1.0f / std::sqrt(float(H)), s2 = 1.0f / std::sqrt(float(I));
    for (int32_t e : used) {
        cpu::expert_weights& ew = lw.experts[size_t(e)];
        ew.w1 = r.fill(size_t(I * H), -s1 * 1.7f, s1 * 1.7f);
        ew.w3 = r.fill(size_t(I * H), -s1 * 1.7f, s1 * 1.7f);
        ew.w2 = r.fill(size_t(H * I), -s2 * 1.7f, s2 * 1.7f);
        upload_bf16(w13, ew.w1.data(), ew.w1.size(), size_t(e) * 2 * I * H);
        upload_bf16(w13, ew.w3.data(), ew.w3.size(), size_t(e) * 2 * I * H + I * H);
        upload_bf16(w2, ew.w2.data(), ew.w2.size(), size_t(e) * H * I);
    }

    cuda_stream stream;
    cublas_handle blas(stream.get());
    moe_workspace ws;
    moe_forward(blas.get(), stream.get(), {d_router.data(), w13.data(), w2.data(), H, E, k, I}, d_g.data(), n, m.data(),
                ws, split);
    stream.sync();

    // routing: the same experts in the same order, weights to fp32 rounding
    const std::vector<int32_t> got_expert = ws.expert.download(size_t(n * k));
    const std::vector<float> got_weight = ws.weight.download(size_t(n * k));
    s.check(got_expert == ref_route.expert, name + ": routing chooses the CPU reference's experts, in order (" +
                                                std::to_string(used.size()) + " experts used)");
    s.close(name + ": routing weights", gpu_test::rel_err(got_weight, ref_route.weight), 1e-5);

    std::vector<float> ref(static_cast<size_t>(n * H));
    cpu::moe_layer(c, lw, g.data(), n, ref.data());
    s.close(name + ": MoE output (bf16 experts, fp32 accumulation)", gpu_test::rel_err(m.download(ref.size()), ref),
            split ? 1e-4 : 1e-2);
}

}  // namespace

int main() {
    return gpu_test::run_suite("tst_gpu_moe", [](gpu_test::suite& s) {
        gpu_test::rng r(s.seed());
        for (bool split : {false, true}) {
            run_shape(s, r, 300, 64, 8, 32, 2, split);
            run_shape(s, r, 1, 48, 4, 32, 2, split);  // decode
            run_shape(s, r, 64, 512, 16, 1024, 2, split);
        }
        run_shape(s, r, 4, 6144, 32, 9216, 2, false);  // M1 widths
        run_shape(s, r, 3, 6144, 32, 9216, 2, true);
    });
}
