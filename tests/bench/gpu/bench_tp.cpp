// Tensor-parallel scaling of the CUDA backend (numbers go to tests/bench/RESULTS.md, "## CUDA tensor parallelism"):
// the W16 configuration (hidden 6144, 64 heads × 128, 8 KV heads, 64 experts × 9216, top-2, vocab 200064, 16 layers
// with softmax at 7 and 15; ~99 GB of seeded random bf16 weights generated on the GPUs) at TP = 1 (one GPU,
// cuda_backend) and TP = 2, 4, 8 over NCCL for as many GPUs as are visible (cuda_tp_backend, one thread per GPU):
// prefill of 8K and 32K tokens in one call (chunks of 8192), then 16 decode steps (median), fast precision.
// Decode is timed three ways on the same state: the decode path with CUDA graphs (the default: per rank, NCCL
// all-reduces captured), the decode path without graphs, and the chunk path (cuBLAS at n = 1, host MoE grouping).
// Also measures the NCCL all-reduce of one (8192, 6144) fp32 activation block, the size the prefill reduces 2× per
// layer. Times are host clocks around synchronous forward() calls.
// Usage: bench_tp [max_context] [layers]   (default 32768 16; fewer layers when memory is short)
// Keep NCCL_NVLS_ENABLE=0 in the environment (the collective also sets it before making its communicators).
#include "engine/bench/bench_timer.h"
#include "engine/cuda/cuda_backend.h"
#include "engine/cuda/cuda_tp_backend.h"
#include "engine/model/model_presets.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <span>
#include <string>
#include <thread>

using namespace m1;
using namespace m1::cuda;

namespace {

using bench::median;
using bench::now_s;

double used_gb(int device) {
    check(cudaSetDevice(device), "cudaSetDevice");
    return bench::used_bytes() / 1e9;
}

// Median seconds of 16 single-token steps after one untimed step (workspace growth, graph capture).
double decode_median(backend& be, backend_state& st, std::vector<float>& logits) {
    std::vector<double> steps;
    for (int i = 0; i < 17; ++i) {
        const int32_t id = int32_t(i * 7919 % 200000);
        const double d0 = now_s();
        be.forward(st, std::span<const int32_t>(&id, 1), logits_rows::last, logits.data());
        steps.push_back(now_s() - d0);
    }
    steps.erase(steps.begin());
    return median(steps);
}

// set_path(kernels, graphs): the backend's decode path switches (cuda_backend / cuda_tp_backend::set_decode_path).
void runs(backend& be, int tp, int64_t max_context, double build_s, const std::function<void(bool, bool)>& set_path) {
    const int64_t V = be.config().vocab_size;
    std::vector<float> logits(static_cast<size_t>(V));
    uint64_t z = 99;
    for (int64_t ctx = 8192; ctx <= max_context; ctx *= 4) {
        std::vector<int32_t> ids(static_cast<size_t>(ctx));
        for (auto& id : ids) id = int32_t(((z = z * 6364136223846793005ull + 1442695040888963407ull) >> 33) % 200000);
        auto st = be.new_state();
        const double p0 = now_s();
        be.forward(*st, ids, logits_rows::last, logits.data());
        const double prefill = now_s() - p0;
        set_path(true, true);
        const double graphs = decode_median(be, *st, logits);
        set_path(true, false);
        const double plain = decode_median(be, *st, logits);
        set_path(false, false);
        const double chunk = decode_median(be, *st, logits);
        set_path(true, true);
        std::printf("| %-9s | %2d | %6lld | %8.3f s | %9.0f | %8.2f | %7.1f | %8.2f | %8.2f | %6.1f GB | %5.1f s |\n",
                    be.name().c_str(), tp, (long long)ctx, prefill, double(ctx) / prefill, 1e3 * graphs, 1.0 / graphs,
                    1e3 * plain, 1e3 * chunk, used_gb(0), build_s);
        std::fflush(stdout);
    }
}

// The all-reduce the prefill does twice per layer: (8192, 6144) fp32 in place on every GPU, one thread per GPU.
// Bus bandwidth as NCCL's tests define it for all-reduce: bytes · 2 (N − 1) / N per second.
void all_reduce_time(int gpus) {
    std::vector<int> devices;
    for (int r = 0; r < gpus; ++r) devices.push_back(r);
    std::unique_ptr<tp_collective> coll = make_tp_collective(tp_mode::nccl, devices);
    const int64_t count = int64_t(8192) * 6144;
    std::vector<device_buffer<float>> bufs;
    std::vector<std::unique_ptr<cuda_stream>> streams;
    for (int r = 0; r < gpus; ++r) {
        check(cudaSetDevice(r), "cudaSetDevice");
        bufs.emplace_back(size_t(count));
        check(cudaMemset(bufs.back().data(), 0, size_t(count) * 4), "memset");
        streams.push_back(std::make_unique<cuda_stream>());
    }
    std::vector<double> times;
    for (int rep = 0; rep < 11; ++rep) {
        const double t0 = now_s();
        std::vector<std::thread> threads;
        for (int r = 0; r < gpus; ++r)
            threads.emplace_back([&, r] {
                check(cudaSetDevice(r), "cudaSetDevice");
                coll->all_reduce_sum(r, bufs[size_t(r)].data(), count, streams[size_t(r)]->get());
                streams[size_t(r)]->sync();
            });
        for (auto& t : threads) t.join();
        if (rep > 0) times.push_back(now_s() - t0);  // the first call sets NCCL's channels up
    }
    const double t = median(times), bytes = double(count) * 4;
    std::printf("NCCL all-reduce of (8192, 6144) fp32 over %d GPUs: %.2f ms (median of 10), bus bandwidth %.0f GB/s\n",
                gpus, 1e3 * t, bytes * 2 * (gpus - 1) / gpus / t / 1e9);
    for (int r = 0; r < gpus; ++r) {
        check(cudaSetDevice(r), "cudaSetDevice");
        bufs[size_t(r)].release();
    }
}

}  // namespace

int main(int argc, char** argv) {
    int count = 0;
    if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
        std::printf("bench_tp: no CUDA device\n");
        return 77;
    }
    const int64_t max_context = argc > 1 ? std::atoll(argv[1]) : 32768;
    const int64_t layers = argc > 2 ? std::atoll(argv[2]) : 16;
    try {
        model_config c = preset_config("w16", 200064);
        if (layers != c.num_layers) {
            c.num_layers = layers;
            c.layers.assign(size_t(layers), layer_kind::lightning);
            for (int64_t l = 7; l < layers; l += 8) c.layers[size_t(l)] = layer_kind::softmax;
            if (layers < 8) c.layers.back() = layer_kind::softmax;
        }
        c.validate("bench_tp");
        cuda_options o;
        o.precision = cuda_precision::fast;
        o.context = max_context + 64;
        o.max_chunk = 8192;
        std::printf("bench_tp: W16-like, %lld layers, %lld experts x %lld, %d GPU(s) visible, NCCL %s\n",
                    (long long)c.num_layers, (long long)c.num_experts, (long long)c.intermediate_size, count,
                    nccl_available() ? "yes" : "no");
        std::printf("| backend | TP | context | prefill | tok/s | decode ms/token (graphs) | tok/s | no graphs ms | "
                    "chunk path ms | GPU 0 used | build |\n"
                    "|---|---|---|---|---|---|---|---|---|---|---|\n");
        {
            const double t0 = now_s();
            cuda_backend one(c, 1234, o);
            runs(one, 1, max_context, now_s() - t0, [&](bool k, bool g) { one.set_decode_path(k, g); });
        }
        for (int tp = 2; tp <= count && tp <= 8 && nccl_available(); tp *= 2) {
            all_reduce_time(tp);
            cuda_tp_options t;
            t.tp_size = tp;
            t.mode = tp_mode::nccl;
            t.rank = o;
            const double t0 = now_s();
            cuda_tp_backend be(c, 1234, t);
            runs(be, tp, max_context, now_s() - t0, [&](bool k, bool g) { be.set_decode_path(k, g); });
        }
    } catch (const std::exception& e) {
        std::printf("bench_tp: %s\n", e.what());
        return 1;
    }
    return 0;
}
