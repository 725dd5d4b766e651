#include "engine/bench/bench_kernels.h"

#include "engine/bench/bench_timer.h"
#include "engine/cuda/cuda_attention.cuh"
#include "engine/cuda/cuda_gemm.h"
#include "engine/cuda/cuda_lightning.cuh"
#include "engine/cuda/cuda_moe.cuh"
#include "engine/cuda/cuda_random.cuh"
#include "engine/model/forward.h"

#include <cmath>
#include <string>

namespace m1::bench {

using namespace m1::cuda;

namespace {

// Warm-up and repetitions by size, so that one shape never takes more than a few seconds of repeats.
int reps_for(int64_t n) {
    return n <= 32768 ? 5 : n <= 131072 ? 3 : 1;
}

bool fits(double bytes) {
    size_t free_b = 0, total_b = 0;
    check(cudaMemGetInfo(&free_b, &total_b), "cudaMemGetInfo");
    return bytes < 0.9 * double(free_b);
}

kernel_result skipped(const std::string& name, const std::string& shape, int64_t n, double bytes) {
    kernel_result k;
    k.name = name;
    k.shape = shape;
    k.tokens = n;
    k.note = "skipped: its buffers (" + std::to_string(int64_t(bytes / 1e9)) + " GB) do not fit in the free memory";
    return k;
}

std::string dims(int64_t a, int64_t b, int64_t c) {
    return std::to_string(a) + " x " + std::to_string(b) + " x " + std::to_string(c);
}

void attention_prefill(const model_config& c, int64_t n, const ceilings& ceil, std::vector<kernel_result>& out) {
    const int64_t nh = c.num_heads, g = c.num_kv_heads, d = c.head_dim, D = nh * d, KV = g * d;
    const std::string shape = std::to_string(n) + " tokens, " + std::to_string(nh) + " heads x " + std::to_string(d) +
                              ", " + std::to_string(g) + " kv heads, causal";
    const double bytes = double(n) * (2.0 * D * 4 + 2.0 * KV * 2);
    if (!fits(bytes)) return out.push_back(skipped("attention prefill", shape, n, bytes));
    device_buffer<float> q(size_t(n * D)), o(size_t(n * D));
    device_buffer<bf16> kc(size_t(n * KV)), vc(size_t(n * KV));
    fill_uniform(q.data(), n * D, 21, 1.7);
    fill_uniform(kc.data(), n * KV, 22, 1.7);
    fill_uniform(vc.data(), n * KV, 23, 1.7);
    attention_params p;
    p.q = q.data();
    p.ld_q = D;
    p.k_cache = kc.data();
    p.v_cache = vc.data();
    p.n = n;
    p.n_heads = nh;
    p.n_kv_heads = g;
    p.d = d;
    p.pos0 = 0;
    p.scale = float(1 / std::sqrt(double(d)));
    p.o = o.data();
    kernel_result k;
    k.name = std::string("attention prefill (") +
             (attention_wgmma_supported(p) ? "wgmma" : attention_tiled_supported(p) ? "tiled" : "simple") + ")";
    k.shape = shape;
    k.tokens = n;
    k.flops = causal_attention_flops(n, 0, nh, d);
    k.seconds = event_median_s([&] { check(launch_attention(p, nullptr), "attention kernel"); }, 1, reps_for(n));
    k.floor_s = k.flops / ceil.gemm_flops_per_s;
    k.note = "q fp32, KV cache bf16, o fp32; floor = FLOPs / GEMM ceiling";
    out.push_back(k);
}

// Three rows per length: the fused kernel with bf16 q/k/v and bf16 output (the I/O the floor assumes), the same
// with SiLU applied on load (what the backend would feed it straight from the qkv GEMM), and fp32 q/k/v/o (what the
// backend feeds it today). The floor is the bf16-I/O one for all three.
void lightning_prefill(const model_config& c, int64_t n, const ceilings& ceil, std::vector<kernel_result>& out) {
    const int64_t nh = c.num_heads, d = c.head_dim, D = nh * d, block = c.lightning_block;
    const std::string shape = std::to_string(n) + " tokens, " + std::to_string(nh) + " heads x " + std::to_string(d) +
                              ", block " + std::to_string(block);
    const int64_t scratch_floats = lightning_scratch_floats(n, nh, d, block);
    device_buffer<float> pw, state(size_t(nh * d * d));
    pw.upload(lightning_decay_table(lightning_slopes(c, 0), block));
    lightning_params p = lightning_qkv_layout(n, nh, d, block, pw.data(), state.data());
    auto time = [&](const std::string& name, const std::string& note) {
        kernel_result k;
        k.name = name;
        k.shape = shape;
        k.tokens = n;
        k.flops = lightning_prefill_flops(n, nh, d, block);
        k.bytes = lightning_prefill_min_bytes(n, nh, d, 2);
        k.seconds = event_median_s(
            [&] {
                check(cudaMemsetAsync(state.data(), 0, state.bytes(), nullptr), "zero state");
                check(launch_lightning_prefill(p, nullptr), "lightning prefill kernel");
            },
            1, 3 * reps_for(n));  // a few milliseconds a call: more repetitions steady the median
        k.floor_s = std::max(k.bytes / ceil.copy_bytes_per_s, k.flops / ceil.gemm_flops_per_s);
        k.note = note + "; floor and TB/s use the bf16-I/O bytes (" +
                 std::to_string(int(std::lround(100 * k.floor_s / k.seconds))) + "% of the floor)";
        out.push_back(k);
    };
    {
        const double bytes = double(n) * 4.0 * D * 2;
        if (!fits(bytes)) {
            out.push_back(skipped("lightning prefill (bf16 in/out)", shape, n, bytes));
        } else {
            device_buffer<bf16> qkv(size_t(n * 3 * D)), o(size_t(n * D));
            // SiLU outputs are mostly positive and O(1): uniform [0, 1] keeps the state's growth realistic.
            fill_uniform(qkv.data(), n * 3 * D, 31, 0.5, 0.5);
            p.q16 = qkv.data();
            p.k16 = qkv.data() + d;
            p.v16 = qkv.data() + 2 * d;
            p.o16 = o.data();
            const char* kernel = lightning_fused_supported(p) ? "fused" : "per-block";
            if (lightning_hopper_supported(p)) {  // M1's fast prefill; then the mma.sync kernel, for comparison
                time("lightning prefill (Hopper, bf16 in/out)", "bf16 q/k/v and o, wgmma");
                p.hopper = false;
            }
            time(std::string("lightning prefill (") + kernel + ", bf16 in/out)", "bf16 q/k/v and o");
            p.hopper = true;
            p.silu = true;  // inputs in [0, 1] before SiLU: a little smaller than the SiLU outputs above
            time(std::string("lightning prefill (") + kernel + ", bf16 in + SiLU, bf16 out)",
                 "bf16 q/k/v, SiLU on load, bf16 o");
            p.silu = false;
            p.q16 = p.k16 = p.v16 = nullptr;
            p.o16 = nullptr;
        }
    }
    const double bytes = double(n) * 4.0 * D * 4 + double(scratch_floats) * 4;
    if (!fits(bytes)) return out.push_back(skipped("lightning prefill (fp32 in/out)", shape, n, bytes));
    device_buffer<float> qkv(size_t(n * 3 * D)), o(size_t(n * D));
    device_buffer<float> scratch(static_cast<size_t>(scratch_floats));
    fill_uniform(qkv.data(), n * 3 * D, 31, 0.5, 0.5);
    p.q = qkv.data();
    p.k = qkv.data() + d;
    p.v = qkv.data() + 2 * d;
    p.o = o.data();
    p.scratch = scratch.data();
    time(std::string("lightning prefill (") + (lightning_fused_supported(p) ? "fused" : "per-block") +
             ", fp32 in/out)",
         "fp32 q/k/v and o, as the backend feeds it today");
}

void experts(const model_config& c, int64_t n, const ceilings& ceil, std::vector<kernel_result>& out) {
    const int64_t H = c.hidden_size, I = c.intermediate_size, E = c.num_experts, k = c.experts_per_token;
    device_buffer<float> router(size_t(E * H)), g(size_t(n * H)), m(size_t(n * H));
    device_buffer<bf16> w13(size_t(E * 2 * I * H)), w2(size_t(E * H * I));
    fill_uniform(router.data(), E * H, 41, std::sqrt(3.0 / double(H)));
    fill_uniform(w13.data(), E * 2 * I * H, 42, std::sqrt(3.0 / double(H)));
    fill_uniform(w2.data(), E * H * I, 43, std::sqrt(3.0 / double(I)));
    fill_uniform(g.data(), n * H, 44, 1.7);
    cuda_stream stream;
    cublas_handle blas(stream.get());
    moe_workspace ws;
    const moe_weights w{router.data(), w13.data(), w2.data(), H, E, k, I};
    kernel_result moe;
    moe.name = "MoE block (routing + experts)";
    moe.shape = std::to_string(n) + " tokens, " + std::to_string(E) + " experts x " + std::to_string(I) + ", top-" +
                std::to_string(k) + ", hidden " + std::to_string(H);
    moe.tokens = n;
    moe.flops = expert_flops(n, k, H, I);
    moe.seconds = event_median_s([&] { moe_forward(blas.get(), stream.get(), w, g.data(), n, m.data(), ws, false); }, 2,
                                 5, stream.get());
    moe.floor_s = moe.flops / ceil.gemm_flops_per_s;
    moe.note = "fast precision; FLOPs of the experts only";
    out.push_back(moe);

    // One expert's products at the average rows per expert.
    const int64_t rows = std::max<int64_t>(1, n * k / E);
    device_buffer<bf16> x(size_t(rows * std::max(H, I)));
    device_buffer<float> y(size_t(rows * 2 * I));
    fill_uniform(x.data(), rows * std::max(H, I), 45, 1.7);
    const struct {
        const char* name;
        int64_t in, outw;
        const bf16* w;
    } gemms[] = {{"expert GEMM w13 (gate + up)", H, 2 * I, w13.data()}, {"expert GEMM w2 (down)", I, H, w2.data()}};
    for (const auto& gm : gemms) {
        kernel_result r;
        r.name = gm.name;
        r.shape = dims(rows, gm.in, gm.outw) + " (m x k x n), bf16 in, fp32 out";
        r.tokens = rows;
        r.flops = 2.0 * double(rows) * double(gm.in) * double(gm.outw);
        r.seconds = event_median_s([&] { linear_bf16(blas.get(), x.data(), rows, gm.in, gm.w, gm.outw, y.data()); }, 2,
                                   10, stream.get());
        r.floor_s = r.flops / ceil.gemm_flops_per_s;
        r.note = "cuBLAS (linear_bf16), rows = chunk x k / E";
        out.push_back(r);
    }
}

}  // namespace

void run_kernel_bench(const kernel_run_options& o, bench_result& r) {
    if (o.attention)
        for (int64_t n : o.contexts) attention_prefill(o.config, n, r.ceil, r.kernels);
    if (o.lightning)
        for (int64_t n : o.contexts) lightning_prefill(o.config, n, r.ceil, r.kernels);
    if (o.experts) experts(o.config, o.chunk, r.ceil, r.kernels);
}

}  // namespace m1::bench
