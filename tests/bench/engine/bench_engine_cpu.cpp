// CPU engine throughput: prefill and decode tokens/s of a model directory through m1::session on the CPU backend.
// Random prompt ids (seeded), one warm-up decode. Not a test: numbers go to tests/bench/RESULTS.md with the command.
//
//   bench_engine_cpu --model DIR [--prompt N] [--decode N] [--chunk N] [--threads N]
#include "engine/cpu/cpu_backend.h"
#include "engine/model/checkpoint.h"
#include "engine/model/session.h"

#include <cblas.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
    std::string model;
    long prompt = 512, decode = 64, chunk = 0, threads = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string k = argv[i];
        const char* v = argv[i + 1];
        if (k == "--model")
            model = v;
        else if (k == "--prompt")
            prompt = std::atol(v);
        else if (k == "--decode")
            decode = std::atol(v);
        else if (k == "--chunk")
            chunk = std::atol(v);
        else if (k == "--threads")
            threads = std::atol(v);
        else {
            std::fprintf(stderr, "bench_engine_cpu: unknown option %s\n", k.c_str());
            return 2;
        }
    }
    if (model.empty() || prompt < 1 || decode < 1) {
        std::fprintf(stderr,
                     "usage: bench_engine_cpu --model DIR [--prompt N] [--decode N] [--chunk N] [--threads N]\n");
        return 2;
    }
    try {
        auto t0 = std::chrono::steady_clock::now();
        std::unique_ptr<m1::cpu::cpu_backend> be;
        {
            auto ck = m1::checkpoint::open(model);
            be = std::make_unique<m1::cpu::cpu_backend>(*ck, m1::cpu::cpu_options{int(threads)});
        }
        const m1::model_config& c = be->config();
        const double load_s = seconds_since(t0);
        std::mt19937 gen(1234);
        std::uniform_int_distribution<int32_t> pick(0, int32_t(c.vocab_size - 1));
        std::vector<int32_t> ids(static_cast<size_t>(prompt + decode + 1));
        for (int32_t& id : ids) id = pick(gen);

        m1::session s(*be);
        t0 = std::chrono::steady_clock::now();
        s.prefill(std::span<const int32_t>(ids.data(), size_t(prompt)), chunk);
        const double prefill_s = seconds_since(t0);
        s.decode(ids[size_t(prompt)]);  // warm-up
        t0 = std::chrono::steady_clock::now();
        for (long i = 0; i < decode; ++i) s.decode(ids[size_t(prompt + 1 + i)]);
        const double decode_s = seconds_since(t0);

        std::printf("model %s: hidden %lld, layers %lld, heads %lld x %lld, experts %lld x %lld, vocab %lld, "
                    "fp32 weights %.1f MB, threads %d\n",
                    model.c_str(), (long long)c.hidden_size, (long long)c.num_layers, (long long)c.num_heads,
                    (long long)c.head_dim, (long long)c.num_experts, (long long)c.intermediate_size,
                    (long long)c.vocab_size, double(be->weights().bytes()) / 1e6,
                    threads > 0 ? int(threads) : int(std::thread::hardware_concurrency()));
        // OpenBLAS picks its kernels from the CPU model; on unknown (virtual) CPUs it may fall back to slow ones.
        std::printf("OpenBLAS: %s\n", openblas_get_config());
        std::printf("load %.2f s; prefill %ld tokens (chunk %ld): %.2f s = %.1f tokens/s; "
                    "decode %ld tokens after %ld: %.3f s = %.1f tokens/s\n",
                    load_s, prompt, chunk > 0 ? chunk : prompt, prefill_s, double(prompt) / prefill_s, decode,
                    prompt + 1, decode_s, double(decode) / decode_s);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_engine_cpu: %s\n", e.what());
        return 1;
    }
    return 0;
}
