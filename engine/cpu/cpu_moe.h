// The mixture-of-experts block on the CPU (spec minimax-m1.md §4.5): router logits from fp32 weights, softmax over
// all experts in fp32, top-k by probability (ties go to the lower expert index), weights renormalized to sum to 1,
// SwiGLU experts y = w2 · (SiLU(w1 g) ⊙ (w3 g)), contributions summed in ascending expert order.
//
// Dimension letters: n tokens, H hidden, E experts, k experts per token, I intermediate.
// Thread-safety: pure functions on caller-owned buffers.
#pragma once

#include "engine/cpu/cpu_weights.h"

#include <cstdint>
#include <vector>

namespace m1::cpu {

struct routing {
    std::vector<int32_t> expert;  // (n, k) chosen experts, by descending probability
    std::vector<float> weight;    // (n, k) renormalized weights
};

// router_logits: (n, E). Returns the top-k choice of every token.
routing route_tokens(const float* router_logits, int64_t n, int64_t n_experts, int64_t k);

// g: (n, H) the normed input; m: (n, H) the MoE output (written).
void moe_layer(const model_config& c, const layer_weights& w, const float* g, int64_t n, float* m);

}  // namespace m1::cpu
