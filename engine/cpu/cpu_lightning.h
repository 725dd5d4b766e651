// Lightning (linear) attention on the CPU (spec minimax-m1.md §4.3): unnormalized linear attention with a
// per-head exponential decay λ = e^(−s), state S (d, d) in fp32 (row = key dim, column = value dim).
//
//   recurrence (decode):   S_t = λ·S_{t−1} + k_tᵀ v_t,   o_t = q_t · S_t
//   block form (prefill):  for a block of m tokens with local offsets j, i in [0, m) and S_prev the state before it:
//                          O = ((Q Kᵀ) ⊙ M) V + diag(λ^(j+1)) Q S_prev,   M[j, i] = λ^(j−i) if i <= j else 0
//                          S = λ^m S_prev + (diag(λ^(m−1−i)) K)ᵀ V
// Decays are powers of λ over block-local offsets only (never e^(+s·t) of absolute positions, which overflows),
// each computed in double and rounded to fp32 once. Blocks start where the call starts, so a prefill continuing a
// cached state is the same block form with S_prev = that state.
//
// Dimension letters: n tokens, d head_dim, nh heads, D = nh·d, H hidden.
// Thread-safety: pure functions on caller-owned buffers; lightning_layer spreads heads over threads.
#pragma once

#include "engine/cpu/cpu_weights.h"

#include <cstdint>
#include <vector>

namespace m1::cpu {

// One head, n tokens, block form with blocks of `block` tokens. q, k, v: (n, d) with row stride ld;
// o: (n, d) with row stride ldo (written); S: (d, d) (read as S_prev, left as the state after the n tokens).
void lightning_head_blocks(const float* q, const float* k, const float* v, int64_t ld, int64_t n, int64_t d,
                           float slope, int64_t block, float* S, float* o, int64_t ldo);

// One head, one token, recurrent form: S = λS + kᵀv, o = q·S. q, k, v, o: (d); S: (d, d).
void lightning_head_step(const float* q, const float* k, const float* v, int64_t d, float slope, float* S, float* o);

// A whole lightning layer. h: (n, H) the normed layer input; slopes: (nh) from lightning_slopes();
// state: (nh, d, d) advanced by n tokens; a: (n, H) the attention branch output (written).
// One token goes through the recurrence, more through the block form with block = config.lightning_block.
void lightning_layer(const model_config& c, const layer_weights& w, const std::vector<float>& slopes, const float* h,
                     int64_t n, float* state, float* a, int n_threads);

}  // namespace m1::cpu
