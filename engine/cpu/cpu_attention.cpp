#include "engine/cpu/cpu_attention.h"

#include "engine/cpu/cpu_ops.h"
#include "engine/cpu/cpu_parallel.h"

#include <algorithm>
#include <cblas.h>
#include <cmath>

namespace m1::cpu {

namespace {
// Queries are processed in tiles so the score matrix stays (tile, keys) however long the chunk is.
constexpr int64_t k_query_tile = 256;
}  // namespace

void apply_rope(float* x, int64_t n, int64_t n_heads, int64_t d, int64_t rotary_dim, int64_t pos0,
                const std::vector<float>& inv_freq) {
    const int64_t half = rotary_dim / 2;
    std::vector<float> cs(static_cast<size_t>(half)), sn(static_cast<size_t>(half));
    for (int64_t t = 0; t < n; ++t) {
        const float pos = float(pos0 + t);
        for (int64_t i = 0; i < half; ++i) {
            const float angle = pos * inv_freq[static_cast<size_t>(i)];  // fp32 product, as the references do
            cs[static_cast<size_t>(i)] = std::cos(angle);
            sn[static_cast<size_t>(i)] = std::sin(angle);
        }
        for (int64_t hd = 0; hd < n_heads; ++hd) {
            float* xh = x + (t * n_heads + hd) * d;
            for (int64_t i = 0; i < half; ++i) {
                const float x1 = xh[i], x2 = xh[i + half];
                const float c = cs[static_cast<size_t>(i)], s = sn[static_cast<size_t>(i)];
                xh[i] = x1 * c - x2 * s;
                xh[i + half] = x2 * c + x1 * s;
            }
        }
    }
}

void softmax_attention_layer(const model_config& c, const layer_weights& w, const std::vector<float>& inv_freq,
                             const float* h, int64_t n, int64_t pos0, kv_cache& cache, float* a, int n_threads) {
    const int64_t H = c.hidden_size, nh = c.num_heads, g = c.num_kv_heads, d = c.head_dim;
    const int64_t D = c.attn_dim(), KV = c.kv_dim(), group = nh / g;
    std::vector<float> q(static_cast<size_t>(n * D));
    linear(h, n, H, w.q_proj.data(), D, q.data());
    // New keys and values go straight into the cache rows [pos0, pos0 + n).
    cache.k.resize(static_cast<size_t>((pos0 + n) * KV));
    cache.v.resize(static_cast<size_t>((pos0 + n) * KV));
    float* k_new = cache.k.data() + pos0 * KV;
    float* v_new = cache.v.data() + pos0 * KV;
    linear(h, n, H, w.k_proj.data(), KV, k_new);
    linear(h, n, H, w.v_proj.data(), KV, v_new);
    apply_rope(q.data(), n, nh, d, c.rotary_dim, pos0, inv_freq);
    apply_rope(k_new, n, g, d, c.rotary_dim, pos0, inv_freq);

    const float scale = float(1.0 / std::sqrt(double(d)));
    std::vector<float> o(static_cast<size_t>(n * D));  // (n, D)
    const int64_t n_tiles = (n + k_query_tile - 1) / k_query_tile;
    {
        const int threads = threads_for(2.0 * double(nh) * double(n) * double(pos0 + n) * double(d), n_threads);
        blas_single_thread_scope one_blas_thread(threads > 1);  // heads run in parallel, each on one BLAS thread
        parallel_for(nh * n_tiles, threads, [&](int64_t item) {
            const int64_t hd = item / n_tiles, tile = item % n_tiles;
            const int64_t t0 = tile * k_query_tile, mt = std::min(k_query_tile, n - t0);
            const int64_t keys = pos0 + t0 + mt;  // causal: the tile's last query sees keys [0, keys)
            const float* Q = q.data() + t0 * D + hd * d;
            const float* K = cache.k.data() + (hd / group) * d;
            const float* V = cache.v.data() + (hd / group) * d;
            std::vector<float> s(static_cast<size_t>(mt * keys));  // (mt, keys)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, int(mt), int(keys), int(d), scale, Q, int(D), K,
                        int(KV), 0.0f, s.data(), int(keys));
            for (int64_t j = 0; j < mt; ++j) {
                float* row = s.data() + j * keys;
                const int64_t visible = pos0 + t0 + j + 1;
                std::fill(row + visible, row + keys, 0.0f);
                softmax_inplace(row, visible);
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(mt), int(d), int(keys), 1.0f, s.data(),
                        int(keys), V, int(KV), 0.0f, o.data() + t0 * D + hd * d, int(D));
        });
    }
    linear(o.data(), n, D, w.o_proj.data(), H, a);
}

}  // namespace m1::cpu
