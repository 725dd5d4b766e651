#include "engine/cpu/cpu_lightning.h"

#include "engine/cpu/cpu_ops.h"
#include "engine/cpu/cpu_parallel.h"

#include <algorithm>
#include <cblas.h>
#include <cmath>

namespace m1::cpu {

void lightning_head_blocks(const float* q, const float* k, const float* v, int64_t ld, int64_t n, int64_t d,
                           float slope, int64_t block, float* S, float* o, int64_t ldo) {
    block = std::max<int64_t>(1, std::min(block, n));
    // pw[t] = λ^t = e^(−s·t) for the block-local offsets t in [0, block].
    std::vector<float> pw(static_cast<size_t>(block + 1));
    for (int64_t t = 0; t <= block; ++t) pw[static_cast<size_t>(t)] = float(std::exp(-double(slope) * double(t)));
    std::vector<float> A(static_cast<size_t>(block * block));  // (m, m) masked scores
    std::vector<float> T(static_cast<size_t>(block * d));      // (m, d) Q·S_prev, then decayed K
    for (int64_t b0 = 0; b0 < n; b0 += block) {
        const int64_t m = std::min(block, n - b0);
        const float* Q = q + b0 * ld;
        const float* K = k + b0 * ld;
        const float* V = v + b0 * ld;
        float* O = o + b0 * ldo;
        // intra-block: A = (Q Kᵀ) ⊙ M  (m, m), then O = A V  (m, d)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(m), int(m), int(d), 1.0f, Q, int(ld), K, int(ld), 0.0f,
                    A.data(), int(m));
        for (int64_t j = 0; j < m; ++j) {
            float* row = A.data() + j * m;
            for (int64_t i = 0; i <= j; ++i) row[i] *= pw[static_cast<size_t>(j - i)];
            for (int64_t i = j + 1; i < m; ++i) row[i] = 0.0f;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(m), int(d), int(m), 1.0f, A.data(), int(m), V,
                    int(ld), 0.0f, O, int(ldo));
        // inter-block: O[j] += λ^(j+1) · (q_j S_prev)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(m), int(d), int(d), 1.0f, Q, int(ld), S, int(d),
                    0.0f, T.data(), int(d));
        for (int64_t j = 0; j < m; ++j) {
            const float decay = pw[static_cast<size_t>(j + 1)];
            for (int64_t e = 0; e < d; ++e) O[j * ldo + e] += decay * T[static_cast<size_t>(j * d + e)];
        }
        // state: S = λ^m S_prev + (λ^(m−1−i) k_i)ᵀ V
        for (int64_t i = 0; i < m; ++i) {
            const float decay = pw[static_cast<size_t>(m - 1 - i)];
            for (int64_t e = 0; e < d; ++e) T[static_cast<size_t>(i * d + e)] = decay * K[i * ld + e];
        }
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, int(d), int(d), int(m), 1.0f, T.data(), int(d), V, int(ld),
                    pw[static_cast<size_t>(m)], S, int(d));
    }
}

void lightning_head_step(const float* q, const float* k, const float* v, int64_t d, float slope, float* S, float* o) {
    const float lambda = float(std::exp(-double(slope)));
    for (int64_t r = 0; r < d; ++r) {
        float* row = S + r * d;
        for (int64_t e = 0; e < d; ++e) row[e] = lambda * row[e] + k[r] * v[e];
    }
    for (int64_t e = 0; e < d; ++e) o[e] = 0.0f;
    for (int64_t r = 0; r < d; ++r) {
        const float* row = S + r * d;
        const float qr = q[r];
        for (int64_t e = 0; e < d; ++e) o[e] += qr * row[e];
    }
}

void lightning_layer(const model_config& c, const layer_weights& w, const std::vector<float>& slopes, const float* h,
                     int64_t n, float* state, float* a, int n_threads) {
    const int64_t H = c.hidden_size, nh = c.num_heads, d = c.head_dim, D = c.attn_dim();
    std::vector<float> qkv(static_cast<size_t>(n * 3 * D));  // (n, nh, 3, d): per head q | k | v
    linear(h, n, H, w.qkv.data(), 3 * D, qkv.data());
    silu_inplace(qkv.data(), n * 3 * D);  // SiLU on q, k and v alike

    std::vector<float> o(static_cast<size_t>(n * D));  // (n, D), head-major inside a row: h·d + e
    {
        // per head: block products 2·n·B·d + 2·n·d² multiply-adds (the recurrence: 2·d²)
        const int threads = threads_for(
            double(nh) * double(n) * double(d) * double(2 * std::min(n, c.lightning_block) + 2 * d), n_threads);
        blas_single_thread_scope one_blas_thread(threads > 1);  // heads run in parallel, each on one BLAS thread
        parallel_for(nh, threads, [&](int64_t hd) {
            const float* q = qkv.data() + hd * 3 * d;
            float* S = state + hd * d * d;
            if (n == 1)
                lightning_head_step(q, q + d, q + 2 * d, d, slopes[static_cast<size_t>(hd)], S, o.data() + hd * d);
            else
                lightning_head_blocks(q, q + d, q + 2 * d, 3 * D, n, d, slopes[static_cast<size_t>(hd)],
                                      c.lightning_block, S, o.data() + hd * d, D);
        });
    }
    // RMSNorm over all heads together (D wide), then the sigmoid gate from the same normed input h.
    rmsnorm(o.data(), w.out_norm.data(), n, D, c.lightning_norm_eps, o.data());
    std::vector<float> gate(static_cast<size_t>(n * D));
    linear(h, n, H, w.output_gate.data(), D, gate.data());
    for (int64_t i = 0; i < n * D; ++i) o[static_cast<size_t>(i)] *= sigmoid(gate[static_cast<size_t>(i)]);
    linear(o.data(), n, D, w.out_proj.data(), H, a);
}

}  // namespace m1::cpu
