// Kernel benchmark of the causal GQA softmax attention used in prefill (cuda_attention_tiled.cu) at M1's widths:
// 64 query heads × 128, 8 KV heads, bf16 KV cache. Two patterns:
//   whole   one call of n queries over n keys (pos0 = 0): n = 8K, 32K, 128K;
//   chunk   the last call of a chunked 1M-token prefill: 65,536 queries at pos0 = 1,048,576 − 65,536.
// FLOPs count what causal attention needs: 4·d·nh·Σ keys(query) (QKᵀ and PV, 2 FLOPs per multiply-add), keys(t) =
// pos0 + t + 1. Values are a constant byte pattern: the kernel has no data-dependent branches, so its time does not
// depend on them. Times are CUDA events around the launch, median of 3 after a warm-up.
// Usage: bench_attention [max_queries]   (default 131072)
#include "engine/cuda/cuda_attention.cuh"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

using namespace m1::cuda;

namespace {

double time_ms(const attention_params& p) {
    cudaEvent_t a, b;
    check(cudaEventCreate(&a), "event");
    check(cudaEventCreate(&b), "event");
    check(launch_attention_tiled(p, nullptr), "attention (warm-up)");
    std::vector<double> ms;
    for (int i = 0; i < 3; ++i) {
        check(cudaEventRecord(a), "event");
        check(launch_attention_tiled(p, nullptr), "attention");
        check(cudaEventRecord(b), "event");
        check(cudaEventSynchronize(b), "event");
        float t = 0;
        check(cudaEventElapsedTime(&t, a, b), "event");
        ms.push_back(t);
    }
    cudaEventDestroy(a);
    cudaEventDestroy(b);
    std::sort(ms.begin(), ms.end());
    return ms[1];
}

}  // namespace

int main(int argc, char** argv) {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
        std::fprintf(stderr, "bench_attention: no CUDA device\n");
        return 77;
    }
    const int64_t max_n = argc > 1 ? std::atoll(argv[1]) : 131072;
    const int64_t nh = 64, g = 8, d = 128, D = nh * d, KV = g * d, ld = D + 2 * KV;
    const int64_t chunk = 65536, total = 1048576;
    const int64_t q_rows = std::max(max_n, chunk), cache_rows = std::max(max_n, total);
    device_buffer<float> q(size_t(q_rows * ld)), o(size_t(q_rows * D));
    device_buffer<bf16> k(size_t(cache_rows * KV)), v(size_t(cache_rows * KV));
    check(cudaMemset(q.data(), 0x3c, q.bytes()), "fill");
    check(cudaMemset(k.data(), 0x3c, k.bytes()), "fill");
    check(cudaMemset(v.data(), 0x3c, v.bytes()), "fill");
    std::printf("| pattern | queries | pos0 | ms | TFLOP/s |\n|---|---|---|---|---|\n");
    const auto run = [&](const char* name, int64_t n, int64_t pos0) {
        attention_params p{};
        p.q = q.data();
        p.ld_q = ld;
        p.k_cache = k.data();
        p.v_cache = v.data();
        p.n = n;
        p.n_heads = nh;
        p.n_kv_heads = g;
        p.d = d;
        p.pos0 = pos0;
        p.scale = 0.08838834764831845f;
        p.o = o.data();
        const double ms = time_ms(p);
        const double keys = double(n) * double(pos0) + double(n) * double(n + 1) / 2;
        const double flops = 4.0 * double(d) * double(nh) * keys;
        std::printf("| %s | %lld | %lld | %.2f | %.1f |\n", name, (long long)n, (long long)pos0, ms,
                    flops / (ms * 1e-3) / 1e12);
        std::fflush(stdout);
    };
    for (int64_t n = 8192; n <= max_n; n *= 4) run("whole", n, 0);
    run("chunk", chunk, total - chunk);
    return 0;
}
