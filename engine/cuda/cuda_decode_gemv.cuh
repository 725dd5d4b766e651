// Matrix-vector products for decode (n <= 8 rows of activations): y = x · Wᵀ with W bf16 or fp32, x fp32 and fp32
// accumulation (CPU counterpart: cpu::linear on the same bf16-rounded weights). Memory-bound: one warp per output
// row, 16-byte weight loads, the x rows (a few KB) served from L1/L2. A batch of problems may each pick its matrix
// from an expert table in device memory (MoE decode: routing never leaves the GPU), so the launch needs no host
// synchronisation and can be captured in a CUDA graph.
//
// Dimension letters: N output features, K input features, n rows per problem (1..8), P problems.
// Thread-safety: stateless launcher.
#pragma once

#include "engine/cuda/cuda_util.h"

#include <cstdint>

namespace m1::cuda {

constexpr int k_gemv_max_rows = 8;

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
};
// n in [1, 8]. 16-byte loads when K, the row strides and the pointers allow them, scalar loads otherwise.
cudaError_t launch_gemv(const gemv_params& p, cudaStream_t s);

}  // namespace m1::cuda
