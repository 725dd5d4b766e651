// Benchmark (not a test) of m1::sampler over MiniMax-M1's full logit width: CPU time per sample for the usual
// settings, on two kinds of rows: "flat" (normal(0, 2) logits, the worst case for top-p: the nucleus holds most of
// the vocabulary) and "peaked" (a few dominant logits over a long tail, like a trained model's).
// No Qt, so it also builds where only a compiler is available:
//   g++ -O2 -std=c++20 -I. engine/sampling/sampler.cpp tests/engine/sampling/bench_sampler.cpp -o bench_sampler
#include "engine/sampling/sampler.h"

#include <time.h>

#include <cstdio>
#include <random>
#include <vector>

namespace {

double cpu_ms() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) / 1e6;
}

std::vector<float> make_logits(bool peaked) {
    constexpr size_t width = 200064;
    std::mt19937 rng(3);
    std::normal_distribution<float> normal(0.0f, peaked ? 3.0f : 2.0f);
    std::vector<float> v(width);
    for (float& x : v) x = normal(rng);
    if (peaked)
        for (size_t i = 0; i < 20; ++i) v[(i * 7919) % width] = 25.0f - float(i);
    return v;
}

}  // namespace

int main() {
    struct setting {
        const char* name;
        m1::sampler_params params;
    } settings[] = {{"greedy", {0.0f, 1.0f, 0, 1}},
                    {"T=1", {1.0f, 1.0f, 0, 1}},
                    {"T=1 top_p=0.95", {1.0f, 0.95f, 0, 1}},
                    {"T=1 top_k=40", {1.0f, 1.0f, 40, 1}},
                    {"T=0.7 top_k=50 top_p=0.9", {0.7f, 0.9f, 50, 1}}};
    std::printf("%-26s %12s %12s   (ms of CPU per sample, V = 200064, valid 200036)\n", "setting", "flat", "peaked");
    const std::vector<float> rows[2] = {make_logits(false), make_logits(true)};
    for (const setting& st : settings) {
        double ms[2];
        for (int r = 0; r < 2; ++r) {
            m1::sampler s(st.params, 200036);
            (void)s.sample(rows[r]);
            constexpr int n = 300;
            long long sink = 0;
            const double start = cpu_ms();
            for (int i = 0; i < n; ++i) sink += s.sample(rows[r]);
            ms[r] = (cpu_ms() - start) / n;
            if (sink < 0) std::puts("");  // keeps the loop from being optimised away
        }
        std::printf("%-26s %12.3f %12.3f\n", st.name, ms[0], ms[1]);
    }
    return 0;
}
