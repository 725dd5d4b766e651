// Lightning attention on the GPU (CPU counterpart: engine/cpu/cpu_lightning.h, same block form and the same
// decay table, so the two agree to fp32 rounding). Per head, λ = e^(−s), state S (d, d) fp32 (row = key dim).
//
//   prefill, in blocks of m tokens starting where the call starts, local offsets i, j in [0, m):
//                   o_j = Σ_{i<=j} λ^(j−i) (q_j·k_i) v_i + λ^(j+1) q_j S_prev,   S = λ^m S_prev + Σ_i λ^(m−1−i) k_iᵀ v_i
//   decode (one token, grid heads × 64-column slices, key rows split over 8 thread groups): S = λ S + kᵀv, o = q S.
//
// Three prefill kernels:
//   Hopper (cuda_lightning_hopper.cu; d = 128, bf16 q/k/v without SiLU, sm_90a devices: M1's fast prefill): the fused
//     kernel's math and accuracy on wgmma, with TMA loads and one warpgroup each for the state update and the
//     outputs (whose thread 0 also issues the loads), the update running up to two steps ahead of the outputs; a bf16
//     output leaves through TMA stores (so it needs 16-byte alignment, ldo % 8 == 0 and n_heads·128 <= ldo, else the
//     fused kernel serves the call).
//   fused (d = 64 or 128, block >= 64; the one M1 uses): one CTA per head and half of the value columns walks the
//     whole call in steps of 64 tokens, the fp32 state S (d × d/2) held in registers, the next step's q/k/v copied
//     into shared memory (cp.async) while this one computes; no scratch. Inputs fp32 or bf16, optionally with SiLU
//     applied on load; output fp32 or bf16. Every tensor-core product keeps fp32-like accuracy: operands exact in
//     bf16 (bf16 inputs without SiLU) go in as one part, every other operand (fp32 or SiLU'd inputs, the state, the
//     decayed scores, the decayed keys) as a bf16 hi + lo pair; the tests hold every position to a float64 recurrence.
//   per-block (any d in {16, 32, 64, 128}, any block; fp32 only; the fallback): (1) KV_b = Σ_i λ^(m−1−i) k_iᵀ v_i
//     per block of B tokens into scratch, (2) a scan turns them into S_prev_b, (3) the output of every block at once.
// Decays come from a table pw[h][t] = fp32(e^(−s_h·t)) for t in [0, B] (computed in double on the host), so no
// exponent of an absolute position ever appears (the fused kernel uses t <= 64 of the same table).
//
// Layout: q, k, v of head h at column h·head_stride of rows with stride ld (the fused qkv projection has
// ld = 3·D, head_stride = 3·d, k = q + d, v = q + 2d); o (n, ·) row stride ldo, head h at column h·d. Strides count
// elements of the input's type (float or bf16).
// Thread-safety: launchers are stateless; scratch is the caller's.
#pragma once

#include "engine/cuda/cuda_util.h"

#include <cstdint>
#include <vector>

namespace m1::cuda {

struct lightning_params {
    const float* q = nullptr;  // fp32 inputs (unused when q16 is set)
    const float* k = nullptr;
    const float* v = nullptr;
    const bf16* q16 = nullptr;  // bf16 inputs instead (fused prefill only); strides then count bf16 elements
    const bf16* k16 = nullptr;
    const bf16* v16 = nullptr;
    bool silu = false;  // q, k, v := SiLU(q, k, v) on load, in fp32 (fused prefill only)
    int64_t ld = 0, head_stride = 0;
    int64_t n = 0, n_heads = 0, d = 0, block = 256;
    const float* pw = nullptr;  // (n_heads, block + 1) decay table
    float* state = nullptr;     // (n_heads, d, d) read as S_prev, left as the state after the n tokens
    float* o = nullptr;         // output rows, stride ldo
    bf16* o16 = nullptr;        // bf16 output instead of o (fused prefill only)
    int64_t ldo = 0;
    float* scratch = nullptr;  // per-block prefill only: lightning_scratch_floats(n, n_heads, d, block) floats
    bool hopper = true;        // the Hopper kernel where it serves p (false: the mma.sync fused kernel; tests, A/B)
};

// The fused qkv projection's layout (rows of 3·nh·d, head h's q | k | v at column 3·d·h) with an output of nh·d
// columns, for n tokens: every field but the input, output and scratch pointers, which the caller sets.
inline lightning_params lightning_qkv_layout(int64_t n, int64_t n_heads, int64_t d, int64_t block, const float* pw,
                                             float* state) {
    lightning_params p;
    p.ld = 3 * n_heads * d;
    p.head_stride = 3 * d;
    p.n = n;
    p.n_heads = n_heads;
    p.d = d;
    p.block = block;
    p.pw = pw;
    p.state = state;
    p.ldo = n_heads * d;
    return p;
}

// Floats of scratch a prefill of n tokens needs: 0 where the fused kernel serves (d, block) (d = 64 or 128,
// block >= 64, rows 16-byte aligned), else one (d, d) matrix per block and head for the per-block kernels.
int64_t lightning_scratch_floats(int64_t n, int64_t n_heads, int64_t d, int64_t block);

// Whether the fused kernel serves p (shape, alignment); bf16, SiLU and bf16 output need it.
bool lightning_fused_supported(const lightning_params& p);

// The decay table for one layer's slopes: pw[h·(block+1) + t] = fp32(exp(−slope_h · t)), computed in double.
std::vector<float> lightning_decay_table(const std::vector<float>& slopes, int64_t block);

// Whether the Hopper kernel serves p (p.hopper, shape, alignment, an sm_90a device), and its launcher.
bool lightning_hopper_supported(const lightning_params& p);
cudaError_t launch_lightning_hopper(const lightning_params& p, cudaStream_t s);

// n >= 1 tokens in block form (n == 1 is allowed and equals the recurrence up to rounding): the Hopper kernel where
// it serves p, else the fused kernel where that does, else the per-block kernels (which need p.scratch, fp32
// q/k/v/o and no SiLU).
bool lightning_prefill_supported(const lightning_params& p);
cudaError_t launch_lightning_prefill(const lightning_params& p, cudaStream_t s);
// One token (p.n must be 1), recurrent form; needs no scratch. d <= 1024.
cudaError_t launch_lightning_decode(const lightning_params& p, cudaStream_t s);

}  // namespace m1::cuda
