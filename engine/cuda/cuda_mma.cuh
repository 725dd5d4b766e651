// Tensor-core building blocks shared by the flash attention and lightning kernels (device code only): cp.async
// copies, ldmatrix loads of 8×8 bf16 matrices, the mma.sync m16n8k16 bf16 product with fp32 accumulation, and bf16
// packing and splitting.
//
// Fragment ownership (mma.sync m16n8k16): lane l holds, of each 16×8 fp32 accumulator tile, rows l / 4 and l / 4 + 8
// at columns 2·(l % 4) and 2·(l % 4) + 1 (c[0], c[1] for the first row; c[2], c[3] for the second). Two adjacent
// accumulator tiles (16 × 16) pair up, register for register, into the A fragment of a 16-wide k step.
#pragma once

#include "engine/cuda/cuda_util.h"

#include <cstdint>

namespace m1::cuda::mma {

__device__ __forceinline__ uint32_t smem_u32(const void* p) {
    return uint32_t(__cvta_generic_to_shared(p));
}

// 16 bytes global → shared without passing through registers; with valid == false the destination is zero-filled.
__device__ __forceinline__ void cp_async16(void* dst, const void* src, bool valid) {
    const int bytes = valid ? 16 : 0;
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_u32(dst)), "l"(src), "r"(bytes));
}
__device__ __forceinline__ void cp_async_commit() {
    asm volatile("cp.async.commit_group;\n" ::);
}
__device__ __forceinline__ void cp_async_wait_all() {
    asm volatile("cp.async.wait_group 0;\n" ::);
}

// Four 8×8 bf16 matrices; lane l gives the address of row l % 8 of matrix l / 8. Plain: lane l receives row l / 4,
// columns 2·(l % 4) and +1 of each; .trans: the same of each matrix's transpose.
__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], uint32_t addr) {  // a shared-space address
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(addr));
}
__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], const void* p) {
    ldmatrix_x4(r, smem_u32(p));
}
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], uint32_t addr) {  // a shared-space address
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
                 : "r"(addr));
}
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], const void* p) {
    ldmatrix_x4_trans(r, smem_u32(p));
}

// c (16×8 fp32) += a (16×16 bf16, row-major fragment) · b (16×8 bf16, column-major fragment)
__device__ __forceinline__ void mma_bf16(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
        "{%0, %1, %2, %3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// The product of two hi + lo pairs, leaving out lo·lo: about 16 significant bits per operand, so sums of such
// products carry fp32-like accuracy (relative error ~1e-5) at three tensor-core products instead of one.
__device__ __forceinline__ void mma_bf16x3(float (&c)[4], const uint32_t (&a_hi)[4], const uint32_t (&a_lo)[4],
                                           uint32_t b0_hi, uint32_t b1_hi, uint32_t b0_lo, uint32_t b1_lo) {
    mma_bf16(c, a_lo, b0_hi, b1_hi);
    mma_bf16(c, a_hi, b0_lo, b1_lo);
    mma_bf16(c, a_hi, b0_hi, b1_hi);
}

__device__ __forceinline__ uint32_t pack_bf16(float lo, float hi) {
    const __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);  // .x (lower address, lower bits) = lo
    return *reinterpret_cast<const uint32_t*>(&v);
}
__device__ __forceinline__ float2 unpack_bf16(uint32_t x) {  // pack_bf16's inverse: (.x, .y) = (low, high half)
    return __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&x));
}

// x ≈ hi + lo with both in bf16 (about 16 significant bits together).
__device__ __forceinline__ void split_bf16(float x, bf16& hi, bf16& lo) {
    hi = __float2bfloat16(x);
    lo = __float2bfloat16(x - __bfloat162float(hi));
}

}  // namespace m1::cuda::mma
