// One tensor-parallel rank's share of the fp32 weights, cut from the whole model's weights per a tp_plan.
// The per-layer tensors keep cpu::layer_weights' layout with the rank's sizes, so the CPU backend's layer functions
// run on them with the plan's rank_config():
//   qkv (3·Dr, H), output_gate (Dr, H), out_norm (Dr), out_proj (H, Dr);  q_proj (Dr, H), k_proj/v_proj (KVr, H),
//   o_proj (H, Dr);  experts w1/w3 (Ir, H), w2 (H, Ir);  router (E, H) and the norms whole (replicated).
//   Dr = nh/TP · d, KVr = kv heads held · d, Ir = I/TP, Vr = V/TP.
//
// Ownership: plain values. Thread-safety: pure function.
#pragma once

#include "engine/cpu/cpu_weights.h"
#include "engine/tp/tp_plan.h"

#include <vector>

namespace m1::tp {

struct rank_weights {
    std::vector<float> embed;       // (Vr, H) rows of embed_tokens
    std::vector<float> lm_head;     // (Vr, H) rows of lm_head
    std::vector<float> final_norm;  // (H) replicated
    std::vector<cpu::layer_weights> layers;
    size_t bytes() const;
};

rank_weights slice_rank_weights(const cpu::model_weights& w, const model_config& c, const tp_plan& plan, int rank);

}  // namespace m1::tp
