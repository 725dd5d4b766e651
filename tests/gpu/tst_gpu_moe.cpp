// The MoE block on the GPU against the CPU reference (engine/cpu/cpu_moe.h) fed the same bf16-rounded weights and
// inputs: routing (softmax, top-2, renormalise) must choose the same experts with the same weights, and the block's
// output must be within 1e-2 relative. Shapes: M1's real widths (hidden 6144, 32 experts × 9216; only the experts
// the tokens choose get values on the CPU side, the others are NaN on the GPU so that using one would show), a
// mid-size shape and a small one with many tokens per expert.
#include "tests/gpu/gpu_moe_case.h"

using namespace m1;
using namespace m1::cuda;

namespace {

void run_shape(gpu_test::suite& s, gpu_test::rng& r, int64_t n, int64_t H, int64_t E, int64_t I, int64_t k,
               bool split) {
    const std::string name = std::string(split ? "hi+lo inputs " : "bf16 inputs ") + "n=" + std::to_string(n) +
                             " H=" + std::to_string(H) + " E=" + std::to_string(E) + " I=" + std::to_string(I) +
                             " top-" + std::to_string(k);
    gpu_test::moe_case mc = gpu_test::make_moe_case(r, n, H, E, I, k);

    cuda_stream stream;
    cublas_handle blas(stream.get());
    moe_workspace ws;
    moe_forward(blas.get(), stream.get(), mc.weights(), mc.input.data(), n, mc.out.data(), ws, split);
    stream.sync();

    // routing: the same experts in the same order, weights to fp32 rounding
    const std::vector<int32_t> got_expert = ws.expert.download(size_t(n * k));
    const std::vector<float> got_weight = ws.weight.download(size_t(n * k));
    s.check(got_expert == mc.ref_route.expert, name + ": routing chooses the CPU reference's experts, in order (" +
                                                   std::to_string(mc.used.size()) + " experts used)");
    s.close(name + ": routing weights", gpu_test::rel_err(got_weight, mc.ref_route.weight), 1e-5);

    const std::vector<float> ref = mc.reference();
    s.close(name + ": MoE output (bf16 experts, fp32 accumulation)",
            gpu_test::rel_err(mc.out.download(ref.size()), ref), split ? 1e-4 : 1e-2);
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
