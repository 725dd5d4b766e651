// Kernel benchmarks of the two attentions at M1's widths (64 heads × 128):
//   softmax (causal GQA over a bf16 KV cache of 8 KV heads: the tiled kernel, cuda_attention_tiled.cu, and the
//   Hopper kernel, cuda_attention_wgmma.cu, side by side), two patterns:
//     whole   one call of n queries over n keys (pos0 = 0): n = 8K, 32K, 128K;
//     chunk   the last call of a chunked 1M-token prefill: 65,536 queries at pos0 = 1,048,576 − 65,536 (when
//             max_queries >= 65,536).
//     FLOPs count what causal attention needs: 4·d·nh·Σ keys(query) (QKᵀ and PV), keys(t) = pos0 + t + 1.
//   lightning (cuda_lightning.cu, block 256, M1's layer-0 slopes), one call of n tokens from a zero state, n = 8K,
//     32K, 128K, 256K: time against the memory floors of bf16 I/O (q, k, v read, o written: 8·D bytes a token, the
//     floor issue 9 quotes) and of the fp32 I/O our kernel actually does (16·D bytes a token), at 4.3 TB/s.
// Softmax inputs are random by default: q, K and V uniform in ±1.7 (cuda_random.cuh, the ranges of `m1 bench
// --kernels`), or a constant byte pattern (0x3c). The kernels have no data-dependent branches, yet constant data
// ran the wgmma kernel ~30% faster on the H200 (654 against 498 TFLOP/s at 128K; plausibly power and clocks, not
// measured: tests/bench/RESULTS.md, "Third day"), so figures for issue 9 come from random data; `both` prints the
// two, constant first. Lightning's inputs stay constant (its time is the memory floor's). Times are CUDA events
// around the launch, median of 3 after a warm-up.
// Usage: bench_attention [max_queries] [kernels] [data]   (defaults 131072, tiled,wgmma,lightning and random)
//   kernels: a comma list of tiled, wgmma (launch_attention_wgmma's default variant), wgmma1 .. wgmma4 (its
//   variants: 2-stage ring, softmax overlapping its own P·V, ping-pong warpgroups, ping-pong warpgroups each
//   overlapping its softmax with its own P·V), lightning. The wgmma ones
//   are left out on GPUs other than compute capability 9.0.
//   data: random, const or both.
#include "engine/bench/bench_timer.h"
#include "engine/cuda/cuda_attention.cuh"
#include "engine/cuda/cuda_lightning.cuh"
#include "engine/cuda/cuda_random.cuh"
#include "engine/model/forward.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace m1;
using namespace m1::cuda;

namespace {

// Median of 3 timed launches after a warm-up (CUDA events), in ms.
template <typename Launch>
double time_ms(Launch launch) {
    return 1e3 * m1::bench::event_median_s([&] { check(launch(), "kernel"); }, 1, 3);
}

}  // namespace

int main(int argc, char** argv) {
    const int64_t max_n = argc > 1 ? std::atoll(argv[1]) : 131072;
    const std::string kernels = "," + std::string(argc > 2 ? argv[2] : "tiled,wgmma,lightning") + ",";
    const std::string data = argc > 3 ? argv[3] : "random";
    if (max_n <= 0 || (data != "random" && data != "const" && data != "both")) {
        std::fprintf(stderr, "usage: bench_attention [max_queries > 0] [kernels] [random|const|both]\n");
        return 2;
    }
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
        std::fprintf(stderr, "bench_attention: no CUDA device\n");
        return 77;
    }
    const auto wanted = [&](const std::string& k) { return kernels.find("," + k + ",") != std::string::npos; };
    const int64_t nh = 64, g = 8, d = 128, D = nh * d, KV = g * d, ld = D + 2 * KV;
    const int64_t chunk = 65536, total = 1048576;
    const int64_t q_rows = std::max(max_n, chunk), cache_rows = std::max(max_n, total);
    device_buffer<float> q(size_t(q_rows * ld)), o(size_t(q_rows * D));
    device_buffer<bf16> k(size_t(cache_rows * KV)), v(size_t(cache_rows * KV));
    const char* filled = "";
    const auto fill = [&](bool random) {
        if (random) {
            fill_uniform(q.data(), int64_t(q.size()), 21, 1.7);
            fill_uniform(k.data(), int64_t(k.size()), 22, 1.7);
            fill_uniform(v.data(), int64_t(v.size()), 23, 1.7);
        } else {
            check(cudaMemset(q.data(), 0x3c, q.bytes()), "fill");
            check(cudaMemset(k.data(), 0x3c, k.bytes()), "fill");
            check(cudaMemset(v.data(), 0x3c, v.bytes()), "fill");
        }
        check(cudaDeviceSynchronize(), "fill");
        filled = random ? "random" : "const";
    };
    std::printf("| pattern | queries | pos0 | data | kernel | ms | TFLOP/s |\n|---|---|---|---|---|---|---|\n");
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
        const double keys = double(n) * double(pos0) + double(n) * double(n + 1) / 2;
        const double flops = 4.0 * double(d) * double(nh) * keys;
        const auto report = [&](const char* kernel, double ms) {
            std::printf("| %s | %lld | %lld | %s | %s | %.2f | %.1f |\n", name, (long long)n, (long long)pos0, filled,
                        kernel, ms, flops / (ms * 1e-3) / 1e12);
            std::fflush(stdout);
        };
        if (wanted("tiled")) report("tiled", time_ms([&] { return launch_attention_tiled(p, nullptr); }));
        static const char* const variants[k_attention_wgmma_variants] = {"wgmma", "wgmma1", "wgmma2", "wgmma3", "wgmma4"};
        for (int v = 0; v < k_attention_wgmma_variants; ++v)
            if (wanted(variants[v]) && attention_wgmma_supported(p))
                report(variants[v], time_ms([&] { return launch_attention_wgmma(p, nullptr, v); }));
    };
    for (const bool random : {false, true}) {
        if (data != "both" && random != (data == "random")) continue;
        fill(random);
        for (int64_t n = 8192; n <= max_n; n *= 4) run("whole", n, 0);
        if (max_n >= chunk) run("chunk", chunk, total - chunk);
    }
    if (!wanted("lightning")) return 0;
    q = {};
    o = {};
    k = {};
    v = {};

    // lightning: q | k | v per head as the fused projection lays them out (ld = 3·D, head stride 3·d)
    model_config c;
    c.num_layers = 80;
    c.num_heads = nh;
    const std::vector<float> pw_host = lightning_decay_table(lightning_slopes(c, 0), 256);
    const int64_t max_l = std::max<int64_t>(max_n, 262144);
    device_buffer<float> qkv(size_t(max_l * 3 * D)), out(size_t(max_l * D)), state(size_t(nh * d * d)), pw;
    device_buffer<float> scratch(size_t(lightning_scratch_floats(max_l, nh, d, 256)));
    pw.upload(pw_host);
    check(cudaMemset(qkv.data(), 0x3c, qkv.bytes()), "fill");
    std::printf("\n| lightning tokens | ms | tok/s | %% of bf16-I/O floor | %% of fp32-I/O floor |\n|---|---|---|---|---|\n");
    for (int64_t n = 8192; n <= max_l; n *= 2) {
        if (n != 8192 && n != 32768 && n != 131072 && n != 262144) continue;
        lightning_params lp = lightning_qkv_layout(n, nh, d, 256, pw.data(), state.data());
        lp.q = qkv.data();
        lp.k = qkv.data() + d;
        lp.v = qkv.data() + 2 * d;
        lp.o = out.data();
        lp.scratch = scratch.data();
        const double ms = time_ms([&] { return launch_lightning_prefill(lp, nullptr); });
        const double floor16 = 8.0 * double(D) * double(n) / 4.3e12 * 1e3, floor32 = 2 * floor16;
        std::printf("| %lld | %.2f | %.0f | %.0f%% | %.0f%% |\n", (long long)n, ms, double(n) / (ms * 1e-3),
                    100 * floor16 / ms, 100 * floor32 / ms);
        std::fflush(stdout);
    }
    return 0;
}
