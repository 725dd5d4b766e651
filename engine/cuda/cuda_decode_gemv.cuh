// Matrix-vector products for decode (n <= 8 rows of activations): y = x · Wᵀ with W bf16 or fp32, x fp32 and fp32
// accumulation (CPU counterpart: cpu::linear on the same bf16-rounded weights). Memory-bound; two schedules:
//   rows   one warp per output row, 8 rows a CTA, a CTA per 8 rows and problem;
//   units  a persistent grid (as many CTAs as the GPU holds at once) walks units of one output row each, the row's K
//          split over the CTA's 128 threads; many small units per CTA keep the tail short.
// Either way each thread issues several 16-byte weight loads before it uses the first and the sums run in a fixed
// order (deterministic); the x rows (a few KB) come from L1/L2. A batch of problems may each pick its matrix from an
// expert table in device memory (MoE decode: routing never leaves the GPU), so the launch needs no host
// synchronisation and can be captured in a CUDA graph.
//
// Epilogues fold the decode step's small elementwise kernels into the product that feeds them (one launch and one
// pass over y fewer each): SiLU of q/k/v, the lightning output gate, SwiGLU of an expert's w1/w3 pair, and the
// weighted sum of a token's experts.
//
// Programmatic dependent launch (pdl, optional): the kernel lets the next one be scheduled early and waits
// (griddepcontrol) for the previous one before reading anything; a launch without it behaves the same.
//
// Dimension letters: N output features, K input features, n rows per problem (1..8), P problems.
// Thread-safety: stateless launcher.
#pragma once

#include "engine/cuda/cuda_util.h"

#include <cstdint>

namespace m1::cuda {

constexpr int k_gemv_max_rows = 8;
constexpr int k_gemv_max_top = 16;  // experts a token may sum in the combine epilogue

enum class gemv_schedule : uint8_t { automatic, rows, units };

enum class gemv_epilogue : uint8_t {
    none,     // y = acc
    silu,     // y = acc · sigmoid(acc)
    gate,     // y = aux · sigmoid(acc); aux may be y itself (each element is read before it is written)
    swiglu,   // output row r uses matrix rows r and r + pair: y = silu(acc_r) · acc_(r + pair); N = output rows
    combine,  // problem t is a token summing its k experts in ascending expert order (the prefill combine's order):
              // y[t][r] = Σ_j route_weight[t·k + j] · (W_(expert[t·k + j]) · x_(t·k + j))[r]; n must be 1
};

struct gemv_params {
    const void* w = nullptr;  // (N, K) row-major, bf16 (or fp32 when w_f32); problem p uses w + expert[p]·w_stride
    bool w_f32 = false;
    int64_t N = 0, K = 0;
    int64_t w_stride = 0;             // elements between experts' matrices
    const int32_t* expert = nullptr;  // (P) device; nullptr: every problem uses w itself
    int64_t problems = 1;
    const float* x = nullptr;  // problem p reads rows x + (p / x_group)·x_stride + t·ldx, t < n
    int64_t x_group = 1, x_stride = 0, ldx = 0;
    int n = 1;
    float* y = nullptr;  // problem p writes y + p·y_stride + t·ldy + r
    int64_t y_stride = 0, ldy = 0;

    gemv_epilogue epilogue = gemv_epilogue::none;
    const float* aux = nullptr;  // gate: problem p, row t reads aux + p·y_stride + t·ldaux + r
    int64_t ldaux = 0;
    int64_t pair = 0;                   // swiglu: row offset of the second matrix (w3 after w1: I)
    const float* route_weight = nullptr;  // combine: (P·k) device, with expert (P·k)
    int k = 1;                          // combine: experts per token (<= k_gemv_max_top)
    bool pdl = false;                   // programmatic dependent launch (see above)
    gemv_schedule schedule = gemv_schedule::automatic;  // automatic: the one measured faster for the shape
};
// n in [1, 8]. 16-byte loads when K, the row strides and the pointers allow them, scalar loads otherwise.
cudaError_t launch_gemv(const gemv_params& p, cudaStream_t s);

// One problem over contiguous rows, y (n, N) = x (n, K) · w (N, K)ᵀ, everything else at its default (an epilogue
// or pdl is set on the result).
inline gemv_params gemv_one(const void* w, bool w_f32, int64_t N, int64_t K, const float* x, int64_t n, float* y) {
    gemv_params p{};
    p.w = w;
    p.w_f32 = w_f32;
    p.N = N;
    p.K = K;
    p.x = x;
    p.ldx = K;
    p.n = int(n);
    p.y = y;
    p.ldy = N;
    return p;
}

}  // namespace m1::cuda
