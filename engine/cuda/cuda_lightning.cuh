// Lightning attention on the GPU (CPU counterpart: engine/cpu/cpu_lightning.h, same block form and the same
// decay table, so the two agree to fp32 rounding). Per head, λ = e^(−s), state S (d, d) fp32 (row = key dim).
//
//   prefill, blocks of B tokens starting where the call starts, m = tokens in the block:
//     1. kv_blocks  (grid blocks × heads):   KV_b = Σ_i λ^(m−1−i) k_iᵀ v_i                       (d, d) per block
//     2. scan       (grid heads × d²/256):   S_prev_b = S;  S = λ^m S + KV_b   (sequential over blocks, fp32)
//     3. output     (grid blocks × heads × 64-query tiles):
//                   o_j = Σ_{i<=j} λ^(j−i) (q_j·k_i) v_i + λ^(j+1) q_j S_prev_b
//   Steps 1 and 3 run on the tensor cores (mma.sync) with every operand split into a bf16 hi + lo pair and three
//   products per pair (cuda_mma.cuh), which keeps fp32-like accuracy (the tests hold every position to a float64
//   recurrence); d must be 16, 32, 64 or 128, any block size.
//   decode (one token, grid heads): S = λ S + kᵀv, o = q S.
// Decays come from a table pw[h][t] = fp32(e^(−s_h·t)) for t in [0, B] (computed in double on the host), so no
// exponent of an absolute position ever appears.
//
// Layout: q, k, v of head h at column h·head_stride of rows with stride ld (the fused qkv projection has
// ld = 3·D, head_stride = 3·d, k = q + d, v = q + 2d); o (n, ·) row stride ldo, head h at column h·d.
// Thread-safety: launchers are stateless; scratch is the caller's.
#pragma once

#include "engine/cuda/cuda_util.h"

#include <cstdint>
#include <vector>

namespace m1::cuda {

struct lightning_params {
    const float* q = nullptr;
    const float* k = nullptr;
    const float* v = nullptr;
    int64_t ld = 0, head_stride = 0;
    int64_t n = 0, n_heads = 0, d = 0, block = 256;
    const float* pw = nullptr;  // (n_heads, block + 1) decay table
    float* state = nullptr;     // (n_heads, d, d) read as S_prev, left as the state after the n tokens
    float* o = nullptr;         // output rows, stride ldo
    int64_t ldo = 0;
    float* scratch = nullptr;  // prefill only: lightning_scratch_floats(n, n_heads, d, block) floats
};

// Floats of scratch a prefill of n tokens needs: one (d, d) matrix per block and head.
int64_t lightning_scratch_floats(int64_t n, int64_t n_heads, int64_t d, int64_t block);

// The decay table for one layer's slopes: pw[h·(block+1) + t] = fp32(exp(−slope_h · t)), computed in double.
std::vector<float> lightning_decay_table(const std::vector<float>& slopes, int64_t block);

// n >= 1 tokens in block form (n == 1 is allowed and equals the recurrence up to rounding).
bool lightning_prefill_supported(const lightning_params& p);
cudaError_t launch_lightning_prefill(const lightning_params& p, cudaStream_t s);
// One token (p.n must be 1), recurrent form; needs no scratch. d <= 1024.
cudaError_t launch_lightning_decode(const lightning_params& p, cudaStream_t s);

}  // namespace m1::cuda
