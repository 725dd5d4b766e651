// Dense products of the CUDA backend through cuBLAS, in the PyTorch Linear convention: y[n, out] = x[n, in] · W[out,
// in]ᵀ, all row-major. bf16 operands with fp32 accumulation and an fp32 result (every projection and expert), or plain
// fp32 throughout (router and LM head, which the reference computes in fp32).
//
// Errors: throws cuda_error naming the product on a cuBLAS failure. Thread-safety: one handle per thread.
#pragma once

#include "engine/cuda/cuda_util.h"

#include <cstdint>

namespace m1::cuda {

// y (n, out), row stride ldy (0: out) = x (n, in), row stride ldx (0: in) · w (out, in)ᵀ + beta·y, bf16 in, fp32 out.
void linear_bf16(cublasHandle_t h, const bf16* x, int64_t n, int64_t in, const bf16* w, int64_t out, float* y,
                 int64_t ldx = 0, int64_t ldy = 0, float beta = 0);

// The same with a bf16 result (y rounded once from the fp32 accumulator).
void linear_bf16_out(cublasHandle_t h, const bf16* x, int64_t n, int64_t in, const bf16* w, int64_t out, bf16* y);

// The backend's products: fp32 activations x (n, in), contiguous, against bf16 weights. split = false rounds x to
// bf16 (one product: the fast mode); split = true feeds x as bf16 hi + lo (two products accumulated in fp32: x is
// then carried to ~16 significant bits, the reference-precision mode). scratch holds (split ? 2 : 1)·n·in bf16.
void linear_act(cublasHandle_t h, cudaStream_t s, const float* x, int64_t n, int64_t in, const bf16* w, int64_t out,
                float* y, bf16* scratch, bool split);

// The second half of linear_act, for an x already converted by it (scratch = hi, then lo when split): a second
// product of the same activations skips the conversion. lo null: the fast mode.
void linear_converted(cublasHandle_t h, const bf16* hi, const bf16* lo, int64_t n, int64_t in, const bf16* w,
                      int64_t out, float* y);

// The same in fp32 (cublasSgemm, no TF32).
void linear_f32(cublasHandle_t h, const float* x, int64_t n, int64_t in, const float* w, int64_t out, float* y,
                int64_t ldx = 0, int64_t ldy = 0);

}  // namespace m1::cuda
