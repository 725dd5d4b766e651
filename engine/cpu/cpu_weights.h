// The model's weights as the CPU backend computes with them: every tensor converted to fp32 once at load, in the
// checkpoint's own layout ([out, in] row-major, spec minimax-m1.md §3). Only the tensors of the official layout
// are read; the checkpoint is validated against the config first.
//
// Dimension letters: V vocab, H hidden, D = heads·head_dim, KV = kv_heads·head_dim, E experts, I intermediate.
// Ownership: plain values; the checkpoint may be closed once load_cpu_weights returns.
#pragma once

#include "engine/model/checkpoint.h"

#include <vector>

namespace m1::cpu {

struct expert_weights {
    std::vector<float> w1;  // (I, H) gate projection
    std::vector<float> w3;  // (I, H) up projection
    std::vector<float> w2;  // (H, I) down projection
};

struct layer_weights {
    layer_kind kind = layer_kind::lightning;
    std::vector<float> input_norm;  // (H)
    std::vector<float> post_norm;   // (H)
    // lightning
    std::vector<float> qkv;          // (3·D, H), per-head interleaved: row h·3d + p·d + i, p = 0 q, 1 k, 2 v
    std::vector<float> output_gate;  // (D, H)
    std::vector<float> out_norm;     // (D)
    std::vector<float> out_proj;     // (H, D)
    // softmax
    std::vector<float> q_proj;  // (D, H)
    std::vector<float> k_proj;  // (KV, H)
    std::vector<float> v_proj;  // (KV, H)
    std::vector<float> o_proj;  // (H, D)
    // MoE
    std::vector<float> router;  // (E, H)
    std::vector<expert_weights> experts;
};

struct model_weights {
    std::vector<float> embed;       // (V, H)
    std::vector<float> final_norm;  // (H)
    std::vector<float> lm_head;     // (V, H); a copy of embed when tie_word_embeddings
    std::vector<layer_weights> layers;
    size_t bytes() const;
};

// Bytes the fp32 weights of this config take (4 per parameter; a tied lm_head is counted twice, it is a copy).
size_t cpu_weight_bytes(const model_config& c);

// Throws checkpoint_error "<origin>: the CPU backend needs N GB for its fp32 weights, more than the M GB of memory"
// when the weights alone would exceed `memory_bytes` (the machine's physical memory when 0).
void check_cpu_weights_fit(const model_config& c, const std::string& origin, size_t memory_bytes = 0);

// Checks that the fp32 weights fit in memory, validates the checkpoint (shapes against the config) and converts
// every tensor to fp32. Throws checkpoint_error naming the checkpoint and the problem.
model_weights load_cpu_weights(const checkpoint& ck);

}  // namespace m1::cpu
