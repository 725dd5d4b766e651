// Where a prefill's GPU time goes: runs one prefill of a real-width configuration (hidden 6144, 64 heads × 128,
// 8 KV heads, experts × 9216, vocab 200064, seeded random GPU weights) between cudaProfilerStart and
// cudaProfilerStop, after a warm-up prefill, so that a profiler started with its collection off (Nsight Compute:
// `ncu --profile-from-start off --metrics gpu__time_duration.sum --csv`) sees exactly one prefill.
// tests/bench/gpu/breakdown.py sums the kernels' durations by family.
// Usage: bench_breakdown [tokens] [layers] [experts]   (default 16384 tokens, 4 layers with softmax last, 16 experts)
#include "engine/cuda/cuda_backend.h"
#include "engine/model/model_presets.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cuda_profiler_api.h>

using namespace m1;
using namespace m1::cuda;

int main(int argc, char** argv) {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
        std::fprintf(stderr, "bench_breakdown: no CUDA device\n");
        return 77;
    }
    const int64_t n = argc > 1 ? std::atoll(argv[1]) : 16384;
    const int64_t layers = argc > 2 ? std::atoll(argv[2]) : 4;
    const int64_t experts = argc > 3 ? std::atoll(argv[3]) : 16;
    model_config c = preset_config("w16", 200064);
    c.num_layers = layers;
    c.num_experts = experts;
    c.layers.assign(size_t(layers), layer_kind::lightning);
    c.layers.back() = layer_kind::softmax;
    cuda_options o;
    o.precision = cuda_precision::fast;
    o.context = n + 64;
    o.max_chunk = 8192;
    cuda_backend be(c, 1234, o);
    std::vector<int32_t> ids(static_cast<size_t>(n));
    uint64_t z = 7;
    for (auto& id : ids) id = int32_t((z = z * 6364136223846793005ull + 1442695040888963407ull) >> 33) % 200000;
    std::vector<float> logits(size_t(c.vocab_size));
    for (int pass = 0; pass < 2; ++pass) {
        auto st = be.new_state();
        if (pass == 1) check(cudaProfilerStart(), "cudaProfilerStart");
        const auto t0 = std::chrono::steady_clock::now();
        be.forward(*st, ids, logits_rows::last, logits.data());
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (pass == 1) check(cudaProfilerStop(), "cudaProfilerStop");
        std::printf("prefill %lld tokens, %lld layers (softmax last), %lld experts: %.3f s%s\n", (long long)n,
                    (long long)layers, (long long)experts, s, pass == 0 ? " (warm-up)" : "");
    }
    return 0;
}
