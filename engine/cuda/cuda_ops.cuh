// Elementwise and row-wise kernels of the CUDA backend (CPU counterparts: engine/cpu/cpu_ops.h and the glue of
// cpu_backend.cpp / cpu_lightning.cpp / cpu_moe.cpp). Storage is bf16 for weights and GEMM inputs, fp32 for the
// residual stream and everything that accumulates.
//
// Each launcher takes a Params struct of raw device pointers and a stream, and returns the launch's cudaError_t
// (nothing is thrown). Layout: row-major, rows of `dim` elements unless a stride says otherwise.
// Thread-safety: launchers are stateless.
#pragma once

#include "engine/cuda/cuda_util.h"

#include <cstdint>

namespace m1::cuda {

// out[t, :] = float(table[ids[t], :]): the embedding gather. ids: (n) device int32; table: (V, H) bf16.
struct embed_params {
    const int32_t* ids = nullptr;
    const bf16* table = nullptr;
    int64_t n = 0, H = 0;
    float* out = nullptr;  // (n, H)
};
cudaError_t launch_embed(const embed_params& p, cudaStream_t s);

// MoE combine: out[t, :] = Σ_j weight[t, j] · y[row[t, j], :] for j < k, summed in the order j = 0..k−1 (the caller
// sorts each token's entries by ascending expert, as the CPU reference adds them). out is overwritten.
struct combine_params {
    const float* y = nullptr;       // (rows, H) expert outputs
    const int32_t* row = nullptr;   // (n, k) row of y for each choice
    const float* weight = nullptr;  // (n, k)
    int64_t n = 0, k = 0, H = 0;
    float* out = nullptr;  // (n, H)
};

// The postnorm residual fused with the next RMSNorm (spec §4.2):
//   sum = alpha·res + beta·branch   (sum = res when branch is null)
//   y   = w ⊙ (sum · rsqrt(mean(sum²) + eps))
// sum_out (optional) receives sum; y (optional) fp32, y_bf16 (optional) the same rounded to bf16. sum_out may alias
// res or branch, y may alias res (each element is read and written by one thread). With gate (optional, (n, dim)),
// both outputs are gated: y = (w ⊙ (sum · rsqrt(...))) ⊙ sigmoid(gate), the lightning output's norm and gate in one
// pass: with y given, bit for bit the norm followed by launch_gate (y_bf16 then that rounded); with y_bf16 alone,
// bit for bit the norm followed by launch_gate_bf16 (its fast sigmoid). gate must not alias sum_out.
// Below 256 rows (decode, short prompts) a CTA takes each row; from 256 rows on, rows up to 8192 wide stream through
// shared memory. The two agree to rounding (the sum of squares is added in another order).
struct rmsnorm_params {
    const float* res = nullptr;     // (n, dim)
    const float* branch = nullptr;  // (n, dim) or null
    float alpha = 1, beta = 1;
    const float* w = nullptr;  // (dim) fp32 norm weight
    int64_t n = 0, dim = 0;
    float eps = 1e-5f;
    float* sum_out = nullptr;  // (n, dim) or null
    float* y = nullptr;        // (n, dim) or null
    bf16* y_bf16 = nullptr;    // (n, dim) or null
    const float* gate = nullptr;  // (n, dim) or null
};
cudaError_t launch_rmsnorm(const rmsnorm_params& p, cudaStream_t s);

// The same with the branch the MoE combine of c's rows (c.row, .weight, .k; the rows and their width are p's n and
// dim; c.out unused; p.branch must be null), summed as launch_combine sums it: bit for bit launch_combine, then
// launch_rmsnorm, without writing or reading the combined rows. Only where rmsnorm_combine_supported(p, c): at least
// 256 rows, dim <= 8192 and a multiple of 4, k <= 2, no gate, 16-byte aligned rows; else cudaErrorInvalidValue.
// (The combine is an argument of its own: inside rmsnorm_params it took the register kernel from 32 registers to 48.)
bool rmsnorm_combine_supported(const rmsnorm_params& p, const combine_params& c);
cudaError_t launch_rmsnorm_combine(const rmsnorm_params& p, const combine_params& c, cudaStream_t s);

// out = bf16(x), count elements.
cudaError_t launch_to_bf16(const float* x, bf16* out, int64_t count, cudaStream_t s);

// x = silu(x) in place, count elements (lightning q, k, v).
cudaError_t launch_silu(float* x, int64_t count, cudaStream_t s);
// x = bf16(silu(x)) in place for bf16 x (computed in fp32 with the fast exponential, ~1e-6); x 16-byte aligned.
cudaError_t launch_silu_bf16(bf16* x, int64_t count, cudaStream_t s);

// GEMM inputs: hi = bf16(x); when lo is not null also lo = bf16(x − hi), so that hi + lo carries ~16 significant
// bits and W·hi + W·lo reproduces an fp32 input to ~1e-5 (the backend's reference precision).
cudaError_t launch_split_bf16(const float* x, bf16* hi, bf16* lo, int64_t count, cudaStream_t s);

// out = o ⊙ sigmoid(gate), count elements (the lightning output gate); out may alias o.
cudaError_t launch_gate(const float* o, const float* gate, float* out, int64_t count, cudaStream_t s);
// The same rounded to bf16 (the fast prefill's out_proj input; the sigmoid with the fast exponential, ~1e-6).
cudaError_t launch_gate_bf16(const float* o, const float* gate, bf16* out, int64_t count, cudaStream_t s);

// SwiGLU of rows produced by the stacked [w1; w3] product: in (rows, 2I) with gate = in[:, :I], up = in[:, I:];
// out (rows, I) = silu(gate) ⊙ up.
cudaError_t launch_swiglu(const float* in, float* out, int64_t rows, int64_t I, cudaStream_t s);

// out[r, :] = x[index[r], :] for r < rows (fp32 rows of width dim).
cudaError_t launch_gather_rows(const float* x, const int32_t* index, int64_t rows, int64_t dim, float* out,
                               cudaStream_t s);

// The bf16 forms the fast MoE prefill uses: rows gathered and rounded to bf16 (the expert GEMMs' input), and
// SwiGLU of bf16 [gate | up] rows computed in fp32 (the fast exponential, ~1e-6) and rounded to bf16 (the w2 GEMM's
// input).
cudaError_t launch_gather_rows_bf16(const float* x, const int32_t* index, int64_t rows, int64_t dim, bf16* out,
                                    cudaStream_t s);
cudaError_t launch_swiglu_bf16(const bf16* in, bf16* out, int64_t rows, int64_t I, cudaStream_t s);

// The MoE combine of p (combine_params above) into p.out.
cudaError_t launch_combine(const combine_params& p, cudaStream_t s);

}  // namespace m1::cuda
