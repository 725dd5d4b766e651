// Hopper (sm_90a) building blocks shared by the wgmma kernels (cuda_attention_wgmma.cu, cuda_lightning_hopper.cu):
// mbarriers, TMA tile loads and stores, named barriers, wgmma descriptors and instructions, and the 2-D bf16 tensor
// maps the TMA copies go through. Device code here compiles only for sm_90a (the m1_cuda_wgmma object library).
//
// Register layout of a warpgroup's 64 × N fp32 accumulator: warp w of the group owns rows 16w..16w+15; lane l holds,
// for each 8-column block j, d[4j], d[4j+1] at row l/4, columns 8j + 2(l%4) + {0,1}, and d[4j+2], d[4j+3] at row
// l/4 + 8: mma.sync's C fragment repeated N/8 times. An A operand from registers is, warp by warp, mma.sync's A
// fragment (two adjacent 8-column accumulator blocks, packed to bf16, make one 16-wide k step).
//
// Shared-memory tiles are 128-byte swizzled: 64 bf16 a row, 16-byte chunk c of row r at chunk c ^ (r % 8), 8-row
// groups 1024 bytes apart, every tile 1024-byte aligned. A K-major operand (rows = M or N, 64 k a row) steps 16 k by
// +32 bytes; an N-major B operand (rows = k) steps 16 k by +2048 bytes, its 64-wide N halves LBO bytes apart.
#pragma once

#include "engine/cuda/cuda_mma.cuh"

#include <cstdint>
#include <cuda.h>          // CUtensorMap and its enums (the driver is reached through the runtime's entry point)
#include <cudaTypedefs.h>  // PFN_cuTensorMapEncodeTiled

namespace m1::cuda::hopper {

__device__ __forceinline__ void mbar_init(uint32_t bar, uint32_t count) {
    asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(bar), "r"(count) : "memory");
}
__device__ __forceinline__ void mbar_expect_tx(uint32_t bar, uint32_t bytes) {
    asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(bar), "r"(bytes) : "memory");
}
__device__ __forceinline__ void mbar_arrive(uint32_t bar) {
    asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(bar) : "memory");
}
// Returns once the phase of the given parity has completed (a fresh barrier counts its phase "1" as completed).
__device__ __forceinline__ void mbar_wait(uint32_t bar, uint32_t parity) {
    uint32_t done = 0;
    do {
        asm volatile(
            "{\n.reg .pred p;\nmbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\nselp.u32 %0, 1, 0, p;\n}\n"
            : "=r"(done)
            : "r"(bar), "r"(parity)
            : "memory");
    } while (!done);
}
// A box of the tensor map at (column c0, row c1) into shared memory; completion counted in bytes on bar.
__device__ __forceinline__ void tma_load_2d(uint32_t dst, const CUtensorMap* map, int c0, int c1, uint32_t bar) {
    asm volatile(
        "cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3}], "
        "[%4];\n" ::"r"(dst),
        "l"(reinterpret_cast<uint64_t>(map)), "r"(c0), "r"(c1), "r"(bar)
        : "memory");
}
// A box of shared memory to the tensor map at (column c0, row c1), asynchronously (rows past the map's end are
// dropped); bulk_commit closes a group of such stores, bulk_wait_read<N> waits until at most N groups still read
// shared memory, bulk_wait<N> until at most N are incomplete.
__device__ __forceinline__ void tma_store_2d(const CUtensorMap* map, uint32_t src, int c0, int c1) {
    asm volatile("cp.async.bulk.tensor.2d.global.shared::cta.bulk_group [%0, {%1, %2}], [%3];\n" ::"l"(
                     reinterpret_cast<uint64_t>(map)),
                 "r"(c0), "r"(c1), "r"(src)
                 : "memory");
}
__device__ __forceinline__ void bulk_commit() {
    asm volatile("cp.async.bulk.commit_group;\n" ::: "memory");
}
template <int N>
__device__ __forceinline__ void bulk_wait_read() {
    asm volatile("cp.async.bulk.wait_group.read %0;\n" ::"n"(N) : "memory");
}
template <int N>
__device__ __forceinline__ void bulk_wait() {
    asm volatile("cp.async.bulk.wait_group %0;\n" ::"n"(N) : "memory");
}
__device__ __forceinline__ void st_shared_v4(uint32_t addr, uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
    asm volatile("st.shared.v4.b32 [%0], {%1, %2, %3, %4};\n" ::"r"(addr), "r"(a), "r"(b), "r"(c), "r"(d) : "memory");
}
// Named barrier `id` counting `threads` (a multiple of 32) arrivals: sync waits for them, arrive only adds its warp's.
__device__ __forceinline__ void named_sync(int id, int threads) {
    asm volatile("bar.sync %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
}
__device__ __forceinline__ void named_arrive(int id, int threads) {
    asm volatile("bar.arrive %0, %1;\n" ::"r"(id), "r"(threads) : "memory");
}
// wgmma matrix descriptor, 128-byte swizzle: start address, leading and stride byte offsets, all >> 4.
__device__ __forceinline__ uint64_t make_desc(uint32_t addr, uint32_t lbo, uint32_t sbo) {
    return uint64_t((addr & 0x3FFFF) >> 4) | (uint64_t(lbo >> 4) << 16) | (uint64_t(sbo >> 4) << 32) | (1ull << 62);
}

__device__ __forceinline__ void wgmma_fence() {
    asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
}
__device__ __forceinline__ void wgmma_commit() {
    asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
}
template <int N>
__device__ __forceinline__ void wgmma_wait() {
    asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory");
}
// Keeps the compiler from moving reads or writes of registers an asynchronous wgmma owns across this point.
template <int N>
__device__ __forceinline__ void fence_regs(float* r) {
#pragma unroll
    for (int i = 0; i < N; ++i) asm volatile("" : "+f"(r[i])::"memory");
}
template <int N>
__device__ __forceinline__ void fence_regs(uint32_t* r) {
#pragma unroll
    for (int i = 0; i < N; ++i) asm volatile("" : "+r"(r[i])::"memory");
}

#define M1_F4(d, i) "+f"(d[i]), "+f"(d[i + 1]), "+f"(d[i + 2]), "+f"(d[i + 3])
#define M1_F16(d, i) M1_F4(d, i), M1_F4(d, i + 4), M1_F4(d, i + 8), M1_F4(d, i + 12)
#define M1_F64(d) M1_F16(d, 0), M1_F16(d, 16), M1_F16(d, 32), M1_F16(d, 48)
#define M1_R64                                                                                                         \
    "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, "                 \
    "%21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, "                  \
    "%40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, "                  \
    "%59, %60, %61, %62, %63}"

// d (64 × 128 fp32) (+)= A (64 × 16, K-major in shared memory) · B (16 × 128, K-major in shared memory).
__device__ __forceinline__ void wgmma_ss_n128(float* d, uint64_t a, uint64_t b, int accumulate) {
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
                 "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 " M1_R64 ", %64, %65, p, 1, 1, 0, 0;\n}\n"
                 : M1_F64(d)
                 : "l"(a), "l"(b), "r"(accumulate));
}
// d (64 × 128) (+)= A (64 × 16 bf16 in registers, mma.sync's A fragment per warp) · B (16 × 128 in smem, N-major;
// K-major with NMAJOR = 0).
template <int NMAJOR = 1>
__device__ __forceinline__ void wgmma_rs_n128(float* d, const uint32_t* a, uint64_t b, int accumulate = 1) {
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %69, 0;\n"
                 "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 " M1_R64
                 ", {%64, %65, %66, %67}, %68, p, 1, 1, %70;\n}\n"
                 : M1_F64(d)
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b), "r"(accumulate), "n"(NMAJOR));
}

#define M1_F32(d) M1_F16(d, 0), M1_F16(d, 16)
#define M1_R32                                                                                                         \
    "{%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, "                 \
    "%21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31}"

// d (64 × 64) (+)= A (64 × 16 bf16 in registers) · B (16 × 64 in shared memory, N-major; K-major with NMAJOR = 0).
template <int NMAJOR = 1>
__device__ __forceinline__ void wgmma_rs_n64(float* d, const uint32_t* a, uint64_t b, int accumulate = 1) {
    asm volatile("{\n.reg .pred p;\nsetp.ne.b32 p, %37, 0;\n"
                 "wgmma.mma_async.sync.aligned.m64n64k16.f32.bf16.bf16 " M1_R32
                 ", {%32, %33, %34, %35}, %36, p, 1, 1, %38;\n}\n"
                 : M1_F32(d)
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(b), "r"(accumulate), "n"(NMAJOR));
}

#undef M1_F4
#undef M1_F16
#undef M1_F32
#undef M1_F64
#undef M1_R32
#undef M1_R64

// Byte offset of element (row, col) in a 128-byte-swizzled tile of 64-column rows.
__host__ __device__ constexpr uint32_t swizzled(int row, int col) {
    return uint32_t(row) * 128u + ((uint32_t(col / 8) ^ uint32_t(row % 8)) << 4) + uint32_t(col % 8) * 2u;
}
__device__ __forceinline__ void fence_async_shared() {  // generic-proxy shared writes → visible to wgmma and TMA
    asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
}
// Four 8×8 bf16 matrices to shared memory: lane l gives the address of row l % 8 of matrix l / 8 and holds, in r[i],
// row l / 4, columns 2·(l % 4) and +1 of matrix i (mma.sync's accumulator fragment, packed).
__device__ __forceinline__ void stmatrix_x4(uint32_t addr, uint32_t r0, uint32_t r1, uint32_t r2, uint32_t r3) {
    asm volatile("stmatrix.sync.aligned.m8n8.x4.shared.b16 [%0], {%1, %2, %3, %4};\n" ::"r"(addr), "r"(r0), "r"(r1),
                 "r"(r2), "r"(r3)
                 : "memory");
}

// cuTensorMapEncodeTiled through the runtime's driver entry point (no link against libcuda); null if unavailable.
inline PFN_cuTensorMapEncodeTiled_v12000 tensor_map_encoder() {
    static const PFN_cuTensorMapEncodeTiled_v12000 fn = [] {
        void* f = nullptr;
        cudaDriverEntryPointQueryResult q{};
        if (cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &f, 12000, cudaEnableDefault, &q) !=
                cudaSuccess ||
            q != cudaDriverEntryPointSuccess)
            return PFN_cuTensorMapEncodeTiled_v12000(nullptr);
        return reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(f);
    }();
    return fn;
}

// A (rows, cols) bf16 matrix with row stride ld elements, read in boxes of box_rows rows × 64 columns, 128-byte
// swizzled; rows past `rows` (and columns past `cols`) read as 0.
inline bool encode_bf16_map(CUtensorMap& map, const void* base, int64_t rows, int64_t cols, int64_t ld, int box_rows) {
    const PFN_cuTensorMapEncodeTiled_v12000 encode = tensor_map_encoder();
    if (!encode) return false;
    const cuuint64_t dims[2] = {cuuint64_t(cols), cuuint64_t(rows)};
    const cuuint64_t strides[1] = {cuuint64_t(ld) * 2};
    const cuuint32_t box[2] = {64, cuuint32_t(box_rows)};
    const cuuint32_t elem_strides[2] = {1, 1};
    return encode(&map, CU_TENSOR_MAP_DATA_TYPE_BFLOAT16, 2, const_cast<void*>(base), dims, strides, box, elem_strides,
                  CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
                  CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE) == CUDA_SUCCESS;
}

// Whether the current device runs sm_90a code (compute capability 9.0) and the tensor-map encoder is reachable.
inline bool sm90a_device() {
    int dev = 0, major = 0, minor = 0;
    if (cudaGetDevice(&dev) != cudaSuccess ||
        cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) != cudaSuccess ||
        cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev) != cudaSuccess)
        return false;
    return major == 9 && minor == 0 && tensor_map_encoder() != nullptr;
}

}  // namespace m1::cuda::hopper
