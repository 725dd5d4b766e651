#include "engine/cuda/cuda_random.cuh"

#include <algorithm>
#include <cmath>

namespace m1::cuda {

namespace {

constexpr uint64_t k_golden = 0x9E3779B97F4A7C15ull;

__device__ uint64_t splitmix64_mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

__global__ void random_kernel(random_params p) {
    for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < p.count;
         i += int64_t(gridDim.x) * blockDim.x) {
        const uint64_t z = splitmix64_mix(p.stream + uint64_t(i + 1) * k_golden);
        const double u = double(z >> 11) * 0x1.0p-53;
        // Explicit round-to-nearest operations: no fused multiply-add, so the doubles are those of the host code.
        const float v = float(__dadd_rn(p.center, __dmul_rn(__dsub_rn(__dmul_rn(2.0, u), 1.0), p.half_width)));
        if (p.out16)
            p.out16[i] = __float2bfloat16_rn(v);
        else
            p.out32[i] = p.round_bf16 ? __bfloat162float(__float2bfloat16_rn(v)) : v;
    }
}

}  // namespace

cudaError_t launch_random(const random_params& p, cudaStream_t s) {
    if (p.count == 0) return cudaSuccess;
    if (!p.out16 == !p.out32 || (p.out16 && !p.round_bf16)) return cudaErrorInvalidValue;
    const int64_t blocks = std::min<int64_t>((p.count + 255) / 256, 132 * 64);
    random_kernel<<<unsigned(blocks), 256, 0, s>>>(p);
    return cudaGetLastError();
}

}  // namespace m1::cuda
