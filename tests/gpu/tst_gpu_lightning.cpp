// Lightning attention kernels held to a float64 recurrence (S_t = λ S_{t−1} + k_tᵀ v_t, o_t = q_t S_t, λ = e^(−s)
// in double) at EVERY position: output within 2e-3 and state within 1e-3, relative to the reference's largest
// magnitude at that position (resp. in that state). Slopes are M1's own (80 layers, 64 heads): layer 0 (head 0
// decays fastest) and layer 78 (head 63 decays slowest). The sequence crosses several 256-token block boundaries
// and is fed in calls that mix block prefill and one-token decode, so positions right after a block boundary and
// right after a call boundary are both checked. A second, small shape (d = 16, block 16) covers other widths.
#include "engine/cuda/cuda_lightning.cuh"
#include "engine/model/forward.h"
#include "tests/gpu/gpu_check.h"

#include <cmath>

using namespace m1;
using namespace m1::cuda;

namespace {

constexpr double k_tol_out = 2e-3, k_tol_state = 1e-3;

struct case_spec {
    const char* name;
    int64_t nh, d, block, n;
    std::vector<int64_t> calls;  // token counts of successive calls (sum n)
    std::vector<float> slopes;   // (nh)
    std::vector<int64_t> watch;  // heads reported by name
};

void run_case(gpu_test::suite& s, gpu_test::rng& r, const case_spec& c) {
    const int64_t nh = c.nh, d = c.d, n = c.n, D = nh * d, ld = 3 * D;
    // q, k, v as the layer produces them: per head q | k | v, after SiLU (so mostly positive, some small negatives).
    std::vector<float> qkv = r.fill(size_t(n * ld), -0.3f, 1.2f);
    device_buffer<float> d_qkv, d_pw, state(size_t(nh * d * d)), o(size_t(n * D));
    d_qkv.upload(qkv);
    d_pw.upload(lightning_decay_table(c.slopes, c.block));
    check(cudaMemset(state.data(), 0, state.bytes()), "zero state");
    check(cudaMemset(o.data(), 0xff, o.bytes()), "poison output");
    int64_t biggest = 0;
    for (int64_t m : c.calls) biggest = std::max(biggest, m);
    device_buffer<float> scratch(size_t(lightning_scratch_floats(biggest, nh, d, c.block)));

    int64_t t0 = 0;
    for (int64_t m : c.calls) {
        lightning_params p{};
        p.q = d_qkv.data() + t0 * ld;
        p.k = p.q + d;
        p.v = p.q + 2 * d;
        p.ld = ld;
        p.head_stride = 3 * d;
        p.n = m;
        p.n_heads = nh;
        p.d = d;
        p.block = c.block;
        p.pw = d_pw.data();
        p.state = state.data();
        p.o = o.data() + t0 * D;
        p.ldo = D;
        p.scratch = scratch.data();
        check(m == 1 ? launch_lightning_decode(p, nullptr) : launch_lightning_prefill(p, nullptr), "lightning launch");
        t0 += m;
    }
    check(cudaDeviceSynchronize(), "lightning kernels");
    const std::vector<float> got = o.download(size_t(n * D)), got_state = state.download(size_t(nh * d * d));

    // float64 recurrence, head by head.
    double worst_out = 0, worst_state = 0;
    int64_t worst_pos = -1, worst_head = -1;
    std::vector<double> S(static_cast<size_t>(d * d));
    std::vector<double> head_worst(size_t(nh), 0.0), head_state(size_t(nh), 0.0), head_after_boundary(size_t(nh), 0.0);
    for (int64_t h = 0; h < nh; ++h) {
        const double lambda = std::exp(-double(c.slopes[size_t(h)]));
        std::fill(S.begin(), S.end(), 0.0);
        for (int64_t t = 0; t < n; ++t) {
            const float* q = qkv.data() + t * ld + h * 3 * d;
            const float* k = q + d;
            const float* v = q + 2 * d;
            for (int64_t a = 0; a < d; ++a)
                for (int64_t e = 0; e < d; ++e)
                    S[size_t(a * d + e)] = lambda * S[size_t(a * d + e)] + double(k[a]) * v[e];
            double mag = 0, diff = 0;
            for (int64_t e = 0; e < d; ++e) {
                double acc = 0;
                for (int64_t a = 0; a < d; ++a) acc += double(q[a]) * S[size_t(a * d + e)];
                mag = std::max(mag, std::fabs(acc));
                const double g = got[size_t(t * D + h * d + e)];
                diff = std::isnan(g) ? INFINITY : std::max(diff, std::fabs(g - acc));
            }
            const double err = mag > 0 ? diff / mag : diff;
            head_worst[size_t(h)] = std::max(head_worst[size_t(h)], err);
            if (t % c.block == 0 && t > 0)
                head_after_boundary[size_t(h)] = std::max(head_after_boundary[size_t(h)], err);
            if (err > worst_out) {
                worst_out = err;
                worst_pos = t;
                worst_head = h;
            }
        }
        double mag = 0, diff = 0;
        for (int64_t i = 0; i < d * d; ++i) {
            mag = std::max(mag, std::fabs(S[size_t(i)]));
            const double g = got_state[size_t(h * d * d + i)];
            diff = std::isnan(g) ? INFINITY : std::max(diff, std::fabs(g - S[size_t(i)]));
        }
        head_state[size_t(h)] = mag > 0 ? diff / mag : diff;
        worst_state = std::max(worst_state, head_state[size_t(h)]);
    }
    std::string calls;
    for (int64_t m : c.calls) calls += (calls.empty() ? "" : "+") + std::to_string(m);
    for (int64_t h : c.watch) {
        char what[200];
        std::snprintf(what, sizeof what, "%s head %lld (slope %.3g) output, every position", c.name, (long long)h,
                      double(c.slopes[size_t(h)]));
        s.close(what, head_worst[size_t(h)], k_tol_out);
        std::snprintf(what, sizeof what, "%s head %lld output at the first position of each block", c.name,
                      (long long)h);
        s.close(what, head_after_boundary[size_t(h)], k_tol_out);
        std::snprintf(what, sizeof what, "%s head %lld final state", c.name, (long long)h);
        s.close(what, head_state[size_t(h)], k_tol_state);
    }
    char what[240];
    std::snprintf(what, sizeof what,
                  "%s all %lld heads, %lld tokens in calls %s: output (worst at position %lld, head %lld)", c.name,
                  (long long)nh, (long long)n, calls.c_str(), (long long)worst_pos, (long long)worst_head);
    s.close(what, worst_out, k_tol_out);
    s.close(std::string(c.name) + " all heads: final state", worst_state, k_tol_state);
}

model_config m1_heads_config() {
    model_config c;
    c.num_heads = 64;
    c.num_layers = 80;
    return c;
}

}  // namespace

int main() {
    return gpu_test::run_suite("tst_gpu_lightning", [](gpu_test::suite& s) {
        gpu_test::rng r(s.seed());
        const model_config m1c = m1_heads_config();
        // 700 tokens: block boundaries at 256 and 512. Calls: one prefill; then a mix that ends a call one token
        // after a boundary, decodes across the next boundary and prefills again.
        run_case(s, r, {"M1 layer 0 (fastest decay)", 64, 128, 256, 700, {700}, lightning_slopes(m1c, 0), {0}});
        run_case(s, r, {"M1 layer 78 (slowest decay)", 64, 128, 256, 700, {700}, lightning_slopes(m1c, 78), {63}});
        run_case(
            s, r,
            {"M1 layer 0, mixed calls", 64, 128, 256, 700, {257, 1, 1, 300, 1, 140}, lightning_slopes(m1c, 0), {0}});
        run_case(
            s, r,
            {"M1 layer 78, mixed calls", 64, 128, 256, 700, {257, 1, 1, 300, 1, 140}, lightning_slopes(m1c, 78), {63}});
        model_config small;
        small.num_heads = 6;
        small.num_layers = 6;
        run_case(s, r, {"d=16 block=16 6 heads", 6, 16, 16, 97, {40, 1, 56}, lightning_slopes(small, 0), {0, 5}});
        run_case(s, r, {"d=32 block=32 6 heads", 6, 32, 32, 100, {100}, lightning_slopes(small, 4), {0, 5}});
    });
}
