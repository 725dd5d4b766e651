#include "engine/cuda/cuda_gemm.h"

#include "engine/cuda/cuda_ops.cuh"

namespace m1::cuda {

// Row-major y = x Wᵀ is column-major yᵀ = W xᵀ: cuBLAS sees W as an (in × out) column-major matrix and
// transposes it, and x as (in × n).
void linear_bf16(cublasHandle_t h, const bf16* x, int64_t n, int64_t in, const bf16* w, int64_t out, float* y,
                 int64_t ldx, int64_t ldy, float beta) {
    if (n == 0 || out == 0) return;
    const float one = 1.0f;
    check(cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, int(out), int(n), int(in), &one, w, CUDA_R_16BF, int(in), x,
                       CUDA_R_16BF, int(ldx ? ldx : in), &beta, y, CUDA_R_32F, int(ldy ? ldy : out), CUBLAS_COMPUTE_32F,
                       CUBLAS_GEMM_DEFAULT),
          "bf16 linear (cublasGemmEx)");
}

void linear_bf16_out(cublasHandle_t h, const bf16* x, int64_t n, int64_t in, const bf16* w, int64_t out, bf16* y) {
    if (n == 0 || out == 0) return;
    const float one = 1.0f, zero = 0.0f;
    check(cublasGemmEx(h, CUBLAS_OP_T, CUBLAS_OP_N, int(out), int(n), int(in), &one, w, CUDA_R_16BF, int(in), x,
                       CUDA_R_16BF, int(in), &zero, y, CUDA_R_16BF, int(out), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
          "bf16 linear, bf16 result (cublasGemmEx)");
}

void linear_act(cublasHandle_t h, cudaStream_t s, const float* x, int64_t n, int64_t in, const bf16* w, int64_t out,
                float* y, bf16* scratch, bool split) {
    if (n == 0 || out == 0) return;
    bf16* hi = scratch;
    bf16* lo = split ? scratch + n * in : nullptr;
    check(launch_split_bf16(x, hi, lo, n * in, s), "bf16 split kernel");
    linear_converted(h, hi, lo, n, in, w, out, y);
}

void linear_converted(cublasHandle_t h, const bf16* hi, const bf16* lo, int64_t n, int64_t in, const bf16* w,
                      int64_t out, float* y) {
    linear_bf16(h, hi, n, in, w, out, y);
    if (lo) linear_bf16(h, lo, n, in, w, out, y, 0, 0, 1.0f);
}

void linear_f32(cublasHandle_t h, const float* x, int64_t n, int64_t in, const float* w, int64_t out, float* y,
                int64_t ldx, int64_t ldy) {
    if (n == 0 || out == 0) return;
    const float one = 1.0f, zero = 0.0f;
    check(cublasSgemm(h, CUBLAS_OP_T, CUBLAS_OP_N, int(out), int(n), int(in), &one, w, int(in), x, int(ldx ? ldx : in),
                      &zero, y, int(ldy ? ldy : out)),
          "fp32 linear (cublasSgemm)");
}

}  // namespace m1::cuda
