// The parameters of a decoder layer's norms, RoPE + KV-cache append and softmax attention, built from the
// configuration and the buffers of one layer walk. The prefill (cuda_backend::forward_chunk) and the decode step
// (cuda_decoder::enqueue) walk the layers over their own buffers and kernels for the products, but these steps are the
// same in both (spec §4: residuals with the configuration's α/β fused into the next norm).
//
// `c` is the configuration of the sizes at hand: the whole model's, or one tensor-parallel rank's (its heads).
// Plain functions over plain structs; nothing is launched here.
#pragma once

#include "engine/cuda/cuda_attention.cuh"
#include "engine/cuda/cuda_ops.cuh"
#include "engine/model/config.h"

#include <cmath>

namespace m1::cuda {

// RMSNorm of the residual α·res + β·branch (branch null: of res alone) over the hidden size, into y.
inline rmsnorm_params residual_norm_of(const model_config& c, const float* res, const float* branch, double alpha,
                                       double beta, const float* w, int64_t n, float* y) {
    rmsnorm_params p{};
    p.res = res;
    p.branch = branch;
    p.alpha = float(alpha);
    p.beta = float(beta);
    p.w = w;
    p.n = n;
    p.dim = c.hidden_size;
    p.eps = float(c.rms_norm_eps);
    p.y = y;
    return p;
}

// Layer l's input RMSNorm into y: of the embedding x at layer 0, else of the previous layer's residual
// α_mlp·g + β_mlp·m (g: its post-attention norm, m: its MoE output).
inline rmsnorm_params input_norm_of(const model_config& c, int64_t l, const float* x, const float* g, const float* m,
                                    const float* w, int64_t n, float* y) {
    return l == 0 ? residual_norm_of(c, x, nullptr, 1, 1, w, n, y)
                  : residual_norm_of(c, g, m, c.mlp_alpha, c.mlp_beta, w, n, y);
}

// Layer l's post-attention RMSNorm into g of the residual α_attn·h + β_attn·b (b: the attention's output projection).
inline rmsnorm_params post_attention_norm_of(const model_config& c, int64_t l, const float* h, const float* b,
                                             const float* w, int64_t n, float* g) {
    return residual_norm_of(c, h, b, c.attn_alpha(l), c.attn_beta(l), w, n, g);
}

// The final RMSNorm into y of `count` rows of the last layer's residual α_mlp·g + β_mlp·m.
inline rmsnorm_params final_norm_of(const model_config& c, const float* g, const float* m, const float* w,
                                    int64_t count, float* y) {
    return residual_norm_of(c, g, m, c.mlp_alpha, c.mlp_beta, w, count, y);
}

// A lightning layer's output RMSNorm over its heads' D = nh·d values, in place on o.
inline rmsnorm_params lightning_out_norm_of(const model_config& c, float* o, const float* w, int64_t n) {
    rmsnorm_params p{};
    p.res = o;
    p.w = w;
    p.n = n;
    p.dim = c.attn_dim();
    p.eps = float(c.lightning_norm_eps);
    p.y = o;
    return p;
}

// RoPE on q and k of a softmax layer's fused projection proj (n, D + 2·KV) = q | k | v, k and v appended to the
// cache at pos0.
inline rope_cache_params rope_cache_of(const model_config& c, float* proj, int64_t n, int64_t pos0,
                                       const float* inv_freq, void* k_cache, void* v_cache, bool kv_f32) {
    const int64_t D = c.attn_dim(), KV = c.kv_dim();
    rope_cache_params p{};
    p.q = proj;
    p.ld_q = D + 2 * KV;
    p.k = proj + D;
    p.v = proj + D + KV;
    p.ld_kv = D + 2 * KV;
    p.n = n;
    p.n_heads = c.num_heads;
    p.n_kv_heads = c.num_kv_heads;
    p.d = c.head_dim;
    p.rotary_dim = c.rotary_dim;
    p.pos0 = pos0;
    p.inv_freq = inv_freq;
    p.k_cache = k_cache;
    p.v_cache = v_cache;
    p.kv_f32 = kv_f32;
    return p;
}

// Causal attention of the queries in proj (after rope_cache_of) over the cache's pos0 + n keys, into o (n, D).
inline attention_params attention_of(const model_config& c, const float* proj, const void* k_cache,
                                     const void* v_cache, bool kv_f32, int64_t n, int64_t pos0, float* o) {
    attention_params p{};
    p.q = proj;
    p.ld_q = c.attn_dim() + 2 * c.kv_dim();
    p.k_cache = k_cache;
    p.v_cache = v_cache;
    p.kv_f32 = kv_f32;
    p.n = n;
    p.n_heads = c.num_heads;
    p.n_kv_heads = c.num_kv_heads;
    p.d = c.head_dim;
    p.pos0 = pos0;
    p.scale = float(1.0 / std::sqrt(double(c.head_dim)));
    p.o = o;
    return p;
}

}  // namespace m1::cuda
