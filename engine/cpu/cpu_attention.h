// Softmax attention on the CPU (spec minimax-m1.md §4.4): GQA, partial RoPE (rotate-half inside the first
// rotary_dim dims of each head, the rest passes through), scale 1/√head_dim, causal mask, fp32 softmax, KV cache of
// post-RoPE keys and values.
//
// Dimension letters: n new tokens, P cached tokens, nh query heads, g kv heads, d head_dim, D = nh·d, KV = g·d.
// Query head h reads kv head h / (nh/g).
// Thread-safety: pure functions on caller-owned buffers; softmax_attention_layer spreads heads over threads.
#pragma once

#include "engine/cpu/cpu_weights.h"

#include <cstdint>
#include <vector>

namespace m1::cpu {

// The KV cache of one softmax layer: rows are positions, each row KV wide (kv head-major).
struct kv_cache {
    std::vector<float> k;  // (P, KV) post-RoPE keys
    std::vector<float> v;  // (P, KV)
};

// Rotates n rows of n_heads heads (row stride n_heads·d) in place at positions pos0, pos0+1, ...:
// for i < rotary_dim/2, angle = fp32(pos) · inv_freq[i] (fp32), (x_i, x_{i+r/2}) → (x_i c − x_{i+r/2} s,
// x_{i+r/2} c + x_i s). Dims >= rotary_dim are untouched.
void apply_rope(float* x, int64_t n, int64_t n_heads, int64_t d, int64_t rotary_dim, int64_t pos0,
                const std::vector<float>& inv_freq);

// A whole softmax layer. h: (n, H) the normed layer input; cache holds P = pos0 tokens and gets n more;
// a: (n, H) the attention branch output (written).
void softmax_attention_layer(const model_config& c, const layer_weights& w, const std::vector<float>& inv_freq,
                             const float* h, int64_t n, int64_t pos0, kv_cache& cache, float* a, int n_threads);

}  // namespace m1::cpu
