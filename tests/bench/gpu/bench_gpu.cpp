// The short GPU benchmark that tests/gpu/run.sh runs after the tests (numbers go to tests/bench/RESULTS.md):
//   1. the machine's ceilings, measured in the same run: device-to-device copy (bytes read + written) and a cuBLAS
//      bf16 GEMM 8192³ on random data;
//   2. the CUDA backend on a real-width configuration with seeded random GPU weights (hidden 6144, 64 heads × 128,
//      8 KV heads, 32 experts × 9216, top-2, vocab 200064, 4 layers with softmax at layer 3): prefill time at 8K and
//      32K tokens and decode time per token after each (through the CUDA graph of the decode path, without the graph,
//      and through the prefill machinery), in the fast and the reference precision.
//   3. with --long N: a 2-layer real-width configuration (one lightning and one softmax layer, 32 experts × 9216)
//      prefills N tokens (1,048,576 for the acceptance) in calls of 65,536 tokens, printing the time after
//      each call, then decodes 256 tokens (fast precision).
// Times: the backend's forward() is synchronous, so host clocks around it are exact; medians of repeats.
// Usage: bench_gpu [max_context]   (default 32768)
//        bench_gpu --long N
#include "engine/bench/bench_ceilings.h"
#include "engine/bench/bench_timer.h"
#include "engine/cuda/cuda_backend.h"
#include "engine/model/model_presets.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>

using namespace m1;
using namespace m1::cuda;

namespace {

using bench::median;
using bench::now_s;

// The ceilings of engine/bench (the ones `m1 bench` measures: a 4 GiB copy and a cuBLAS bf16 GEMM 8192³ on random
// data, medians of 10), printed.
void print_ceilings() {
    const bench::ceilings c = bench::measure_ceilings();
    std::printf("ceiling: device copy %.2f TB/s (4 GiB, read + write, median of 10)\n", c.copy_bytes_per_s / 1e12);
    std::printf("ceiling: cuBLAS bf16 GEMM 8192^3 (fp32 out) %.0f TFLOP/s (random data, median of 10)\n",
                c.gemm_flops_per_s / 1e12);
}

void backend_runs(int64_t max_context, cuda_precision precision) {
    model_config c = preset_config("w16", 200064);
    c.num_layers = 4;
    c.num_experts = 32;
    c.layers = {layer_kind::lightning, layer_kind::lightning, layer_kind::lightning, layer_kind::softmax};
    cuda_options o;
    o.precision = precision;
    o.context = max_context + 64;
    o.max_chunk = 8192;
    const double t0 = now_s();
    cuda_backend be(c, 1234, o);
    const char* mode = precision == cuda_precision::fast ? "fast" : "reference";
    std::printf("W4-32E (%s precision): random weights on the GPU in %.1f s; plan: %s\n", mode, now_s() - t0,
                be.plan().describe().c_str());
    std::vector<float> logits(size_t(c.vocab_size));
    uint64_t z = 99;
    for (int64_t ctx = 8192; ctx <= max_context; ctx *= 4) {
        std::vector<int32_t> ids(static_cast<size_t>(ctx));
        for (auto& id : ids) id = int32_t((z = z * 6364136223846793005ull + 1442695040888963407ull) >> 33) % 200000;
        auto st = be.new_state();
        const double p0 = now_s();
        be.forward(*st, ids, logits_rows::last, logits.data());
        const double prefill = now_s() - p0;
        // Decode through the three paths on the same state: the prefill machinery one token at a time, the decode
        // kernels (cuda_decode.h) without and with the per-state CUDA graph (the default).
        const auto decode_ms = [&](bool kernels, bool graphs) {
            be.set_decode_path(kernels, graphs);
            std::vector<double> steps;
            for (int i = 0; i < 17; ++i) {
                const int32_t id = int32_t(i * 7919 % 200000);
                const double d0 = now_s();
                be.forward(*st, std::span<const int32_t>(&id, 1), logits_rows::last, logits.data());
                steps.push_back(now_s() - d0);
            }
            steps.erase(steps.begin());  // the first step pays one-time workspace growth or the graph capture
            return 1e3 * median(steps);
        };
        const double old_ms = decode_ms(false, false), steps_ms = decode_ms(true, false), graph_ms = decode_ms(true, true);
        size_t free_b = 0, total_b = 0;
        cudaMemGetInfo(&free_b, &total_b);
        std::printf("| W4-32E %-9s | %7lld | prefill %8.3f s | %9.0f tok/s | decode %7.2f ms/token (graphs) | %6.1f "
                    "tok/s | no graph %.2f ms | prefill path %.2f ms | GPU memory used %.1f GB |\n",
                    mode, (long long)ctx, prefill, double(ctx) / prefill, graph_ms, 1e3 / graph_ms, steps_ms, old_ms,
                    double(total_b - free_b) / 1e9);
        std::fflush(stdout);
    }
}

void long_context(int64_t total) {
    model_config c = preset_config("w16", 200064);
    c.num_layers = 2;
    c.num_experts = 32;
    c.layers = {layer_kind::lightning, layer_kind::softmax};
    cuda_options o;
    o.precision = cuda_precision::fast;
    o.context = total + 256;
    o.max_chunk = 8192;
    cuda_backend be(c, 4321, o);
    std::printf("W2-32E long context (fast precision): plan %s\n", be.plan().describe().c_str());
    auto st = be.new_state();
    std::vector<float> logits(size_t(c.vocab_size));
    const int64_t call = 65536;
    std::vector<int32_t> ids(static_cast<size_t>(call));
    uint64_t z = 7;
    const double t0 = now_s();
    for (int64_t done = 0; done < total;) {
        const int64_t m = std::min(call, total - done);
        for (int64_t i = 0; i < m; ++i)
            ids[size_t(i)] = int32_t(((z = z * 6364136223846793005ull + 1442695040888963407ull) >> 33) % 200000);
        const double c0 = now_s();
        be.forward(*st, std::span<const int32_t>(ids.data(), size_t(m)), logits_rows::last, logits.data());
        done += m;
        std::printf("  prefill %8lld tokens: this call %.2f s, total %.1f s\n", (long long)done, now_s() - c0,
                    now_s() - t0);
        std::fflush(stdout);
    }
    const double prefill = now_s() - t0;
    std::vector<double> steps;
    const double d0 = now_s();
    for (int i = 0; i < 256; ++i) {
        const int32_t id = int32_t(i * 7919 % 200000);
        const double s0 = now_s();
        be.forward(*st, std::span<const int32_t>(&id, 1), logits_rows::last, logits.data());
        steps.push_back(now_s() - s0);
    }
    size_t free_b = 0, total_b = 0;
    cudaMemGetInfo(&free_b, &total_b);
    std::printf("| W2-32E fast | prefill %lld tokens %.1f s (%.0f tok/s) | decode 256 tokens %.2f s, median %.2f "
                "ms/token (graphs) | state %.1f GB | GPU memory used %.1f GB |\n",
                (long long)total, prefill, double(total) / prefill, now_s() - d0, 1e3 * median(steps),
                double(st->bytes()) / 1e9, double(total_b - free_b) / 1e9);
}

}  // namespace

int main(int argc, char** argv) {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
        std::printf("bench_gpu: no CUDA device\n");
        return 77;
    }
    const bool long_run = argc > 2 && std::string(argv[1]) == "--long";
    const int64_t max_context = !long_run && argc > 1 ? std::atoll(argv[1]) : 32768;
    try {
        if (long_run) {
            long_context(std::atoll(argv[2]));
            return 0;
        }
        cudaDeviceProp prop{};
        check(cudaGetDeviceProperties(&prop, 0), "properties");
        std::printf("bench_gpu on %s (%d SMs, %.1f GiB)\n", prop.name, prop.multiProcessorCount,
                    double(prop.totalGlobalMem) / (1 << 30));
        print_ceilings();
        backend_runs(max_context, cuda_precision::fast);
        backend_runs(8192, cuda_precision::reference);
    } catch (const std::exception& e) {
        std::printf("bench_gpu: %s\n", e.what());
        return 1;
    }
    return 0;
}
