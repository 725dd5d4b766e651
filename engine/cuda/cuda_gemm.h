// Dense products of the CUDA backend through cuBLAS, in the PyTorch Linear convention: y[n, out] = x[n, in] · W[out, in]ᵀ,
// all row-major. bf16 operands with fp32 accumulation and an fp32 result (every projection and expert), or plain
// fp32 throughout (router and LM head, which the reference computes in fp32).
//
// Errors: throws cuda_error naming the product on a cuBLAS failure. Thread-safety: one handle per thread.
#pragma once

#include "engine/cuda/cuda_util.h"

#include <cstdint>

namespace m1::cuda {

// y (n, out), row stride ldy (0: out) = x (n, in), row stride ldx (0: in) · w (out, in)ᵀ, bf16 in, fp32 out.
void linear_bf16(cublasHandle_t h, const bf16* x, int64_t n, int64_t in, const bf16* w, int64_t out, float* y,
                 int64_t ldx = 0, int64_t ldy = 0);

// The same in fp32 (cublasSgemm, no TF32).
void linear_f32(cublasHandle_t h, const float* x, int64_t n, int64_t in, const float* w, int64_t out, float* y,
                int64_t ldx = 0, int64_t ldy = 0);

}  // namespace m1::cuda
