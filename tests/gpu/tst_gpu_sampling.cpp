// GPU sampling (cuda_sampling.cuh) against the CPU sampler (engine/sampling/sampler.h) given the same logits and
// the same uniform draw u: the same id, row after row. Fresh random rows of M1's width (200064 logits, 200036 real
// ids) and small widths; temperatures, top-k, top-p and their combinations; rows full of ties (logits on a coarse
// grid, so "the first of equal maxima" and the id tie-break decide), ±0, −inf and NaN entries, banned ids holding
// the largest logits, and a k larger than the candidate count. Then a whole generation: a CPU sampler and a GPU one
// fed the same seed's draws choose the same sequence.
#include "engine/cuda/cuda_sampling.cuh"
#include "engine/sampling/sampler.h"
#include "tests/gpu/gpu_check.h"

#include <limits>

using namespace m1;
using namespace m1::cuda;

namespace {

enum class row_kind { spread, ties, peaked, special };

std::vector<float> make_row(gpu_test::rng& r, int64_t V, row_kind kind) {
    std::vector<float> l(static_cast<size_t>(V));
    for (float& x : l) {
        const float g = r.uniform(-1, 1) + r.uniform(-1, 1) + r.uniform(-1, 1);  // roughly normal
        switch (kind) {
        case row_kind::spread: x = 4.0f * g; break;
        case row_kind::ties: x = std::round(2.0f * g) * 0.5f; break;  // few distinct values: ties everywhere
        case row_kind::peaked: x = g; break;
        case row_kind::special: x = 3.0f * g; break;
        }
    }
    if (kind == row_kind::peaked)
        for (int i = 0; i < 5; ++i) l[size_t(r.next() % uint64_t(V))] = 12.0f + float(i);
    if (kind == row_kind::special) {
        for (int i = 0; i < V / 50 + 1; ++i) l[size_t(r.next() % uint64_t(V))] = -std::numeric_limits<float>::infinity();
        for (int i = 0; i < V / 100 + 1; ++i) l[size_t(r.next() % uint64_t(V))] = std::nanf("");
        for (int i = 0; i < V / 100 + 1; ++i) l[size_t(r.next() % uint64_t(V))] = (i % 2) ? 0.0f : -0.0f;
    }
    return l;
}

struct sampling_case {
    float temperature, top_p;
    int32_t top_k;
};

void run_width(gpu_test::suite& s, gpu_test::rng& r, int64_t V, int32_t valid, int rows) {
    const sampling_case cases[] = {{0.0f, 1.0f, 0},   {1.0f, 1.0f, 0},     {1.0f, 0.95f, 0},  {0.7f, 1.0f, 40},
                                   {1.3f, 0.9f, 100}, {1.0f, 0.5f, 0},     {2.0f, 0.3f, 0},   {1.0f, 1.0f, 1},
                                   {0.8f, 0.99f, 7},  {1.0f, 0.0f, 0},     {1.0f, 1.0f, 1 << 30}, {0.05f, 0.9f, 0}};
    const row_kind kinds[] = {row_kind::spread, row_kind::ties, row_kind::peaked, row_kind::special};
    const char* kind_names[] = {"spread", "ties", "peaked", "special"};
    cuda_stream stream;
    device_buffer<float> d_logits{size_t(V)};
    for (const sampling_case& sc : cases) {
        for (int ki = 0; ki < 4; ++ki) {
            int mismatches = 0, distinct = 0, last = -2;
            std::string first_bad;
            for (int row = 0; row < rows; ++row) {
                std::vector<float> logits = make_row(r, V, kinds[ki]);
                std::vector<int32_t> banned;
                for (int b = 0; b < 4; ++b) banned.push_back(int32_t(r.next() % uint64_t(valid)));
                // the best logit banned: a leak would show
                banned.push_back(int32_t(std::max_element(logits.begin(), logits.begin() + valid) - logits.begin()));
                for (int32_t id = valid; id < V; ++id) logits[size_t(id)] = 100.0f;  // padding holds the largest
                m1::sampler cpu({sc.temperature, sc.top_p, sc.top_k, 0}, valid);
                cpu.set_banned_ids(banned);
                cuda_sampler gpu(sc.temperature, sc.top_p, sc.top_k, valid);
                gpu.set_banned_ids(std::data(banned), std::size(banned));
                d_logits.upload(logits.data(), logits.size());
                const double u = double(r.next() >> 11) * 0x1.0p-53;
                const int32_t want = cpu.sample_with(logits, u);
                const int32_t got = gpu.sample(d_logits.data(), V, u, stream.get());
                if (got != want && mismatches++ == 0)
                    first_bad = " (first: row " + std::to_string(row) + " u " + std::to_string(u) + ": gpu " +
                                std::to_string(got) + ", cpu " + std::to_string(want) + ")";
                distinct += want != last;
                last = want;
            }
            char what[256];
            std::snprintf(what, sizeof what, "V=%lld valid=%d T=%.2f top_p=%.2f top_k=%d %s rows: %d/%d ids equal",
                          (long long)V, valid, sc.temperature, sc.top_p, sc.top_k, kind_names[ki], rows - mismatches,
                          rows);
            s.check(mismatches == 0, what + first_bad);
        }
    }
}

// A generation: both samplers seeded alike; the GPU one gets the CPU generator's draws through next_uniform().
void run_sequence(gpu_test::suite& s, gpu_test::rng& r) {
    const int64_t V = 200064;
    const int32_t valid = 200036;
    m1::sampler cpu({1.0f, 0.95f, 0, 1234}, valid), draws({1.0f, 0.95f, 0, 1234}, valid);
    const int32_t banned[] = {200020, 5};
    cpu.set_banned_ids(banned);
    cuda_sampler gpu(1.0f, 0.95f, 0, valid);
    gpu.set_banned_ids(std::data(banned), std::size(banned));
    cuda_stream stream;
    device_buffer<float> d_logits{size_t(V)};
    std::vector<int32_t> a, b;
    for (int step = 0; step < 64; ++step) {
        const std::vector<float> logits = make_row(r, V, step % 2 ? row_kind::peaked : row_kind::spread);
        d_logits.upload(logits.data(), logits.size());
        a.push_back(cpu.sample(logits));
        b.push_back(gpu.sample(d_logits.data(), V, draws.next_uniform(), stream.get()));
    }
    s.check(a == b, "64-step generation (T=1, top_p=0.95, seed 1234): GPU ids equal the CPU sampler's");
}

}  // namespace

int main() {
    return gpu_test::run_suite("tst_gpu_sampling", [](gpu_test::suite& s) {
        gpu_test::rng r(s.seed());
        run_width(s, r, 200064, 200036, 12);
        run_width(s, r, 1000, 1000, 40);
        run_width(s, r, 37, 30, 60);
        run_sequence(s, r);
    });
}
