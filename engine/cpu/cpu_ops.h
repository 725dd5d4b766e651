// Elementwise and row-wise operations of the CPU backend, all in fp32, plus the one matrix-product wrapper every
// layer uses. Layout: row-major; a matrix [n, k] has row stride k unless an ld argument says otherwise. Weights
// follow the PyTorch Linear convention [out, in], so a layer computes y = x · Wᵀ.
//
// Thread-safety: pure functions on caller-owned buffers.
#pragma once

#include <cstdint>

namespace m1::cpu {

// y[n, out] = x[n, in] · w[out, in]ᵀ (cblas_sgemm). y must not alias x or w.
void linear(const float* x, int64_t n, int64_t in, const float* w, int64_t out, float* y);

// RMSNorm of each of n rows of width dim: y = w ⊙ (x · rsqrt(mean(x²) + eps)), mean accumulated in double,
// the scale and the products in fp32 (the references' order: normalize, then multiply by the weight).
// y may alias x.
void rmsnorm(const float* x, const float* w, int64_t n, int64_t dim, double eps, float* y);

float silu(float x);     // x · sigmoid(x)
float sigmoid(float x);  // 1 / (1 + e^(−x))
void silu_inplace(float* x, int64_t count);

// In-place softmax of one row of width n in fp32 (max subtracted; sum accumulated in double). −inf entries get 0.
void softmax_inplace(float* x, int64_t n);

// y = a · x + b · y over count elements (the residual update α·h + β·branch, written into the branch buffer).
void scale_add(float a, const float* x, float b, float* y, int64_t count);

}  // namespace m1::cpu
