#include "engine/cuda/cuda_tp_ops.cuh"

namespace m1::cuda {

namespace {

constexpr int k_threads = 256;

__global__ void embed_part_kernel(const int32_t* ids, const bf16* table, int64_t H, int64_t begin, int64_t end,
                                  float* out) {
    const int64_t t = blockIdx.x;
    const int64_t id = ids[t];
    float* dst = out + t * H;
    const bool mine = id >= begin && id < end;
    const bf16* src = table + (mine ? id - begin : 0) * H;
    for (int64_t i = threadIdx.x; i < H; i += blockDim.x) dst[i] = mine ? __bfloat162float(src[i]) : 0.0f;
}

// One block per row; the same reduction shape as the fused RMSNorm of cuda_ops.cu (per-thread sums, warp shuffles,
// then the warps' sums in order).
__global__ void sum_squares_kernel(const float* x, int64_t dim, float* ss) {
    __shared__ float scratch[32];
    const float* row = x + blockIdx.x * dim;
    float v = 0;
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) v += row[i] * row[i];
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    if (threadIdx.x % 32 == 0) scratch[threadIdx.x / 32] = v;
    __syncthreads();
    if (threadIdx.x == 0) {
        float total = 0;
        for (int w = 0; w < int(blockDim.x / 32); ++w) total += scratch[w];
        ss[blockIdx.x] = total;
    }
}

__global__ void apply_norm_kernel(const float* x, const float* ss, const float* w, int64_t dim, float total,
                                  float eps, float* y) {
    const int64_t r = blockIdx.x;
    const float scale = rsqrtf(ss[r] / total + eps);  // divided, as the fused RMSNorm divides by its dim
    for (int64_t i = threadIdx.x; i < dim; i += blockDim.x) y[r * dim + i] = w[i] * (x[r * dim + i] * scale);
}

__global__ void sum_ranks_kernel(sum_ranks_params p) {
    for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < p.count;
         i += int64_t(gridDim.x) * blockDim.x) {
        float total = p.buffers[0][i];
        for (int r = 1; r < p.ranks; ++r) total += p.buffers[r][i];
        for (int r = 0; r < p.ranks; ++r) p.buffers[r][i] = total;
    }
}

}  // namespace

cudaError_t launch_embed_part(const int32_t* ids, const bf16* table, int64_t n, int64_t H, int64_t begin,
                              int64_t end, float* out, cudaStream_t s) {
    if (n == 0) return cudaSuccess;
    embed_part_kernel<<<unsigned(n), k_threads, 0, s>>>(ids, table, H, begin, end, out);
    return cudaGetLastError();
}

cudaError_t launch_sum_squares(const float* x, int64_t n, int64_t dim, float* ss, cudaStream_t s) {
    if (n == 0) return cudaSuccess;
    sum_squares_kernel<<<unsigned(n), k_threads, 0, s>>>(x, dim, ss);
    return cudaGetLastError();
}

cudaError_t launch_apply_norm(const float* x, const float* ss, const float* w, int64_t n, int64_t dim,
                              int64_t total_dim, float eps, float* y, cudaStream_t s) {
    if (n == 0) return cudaSuccess;
    apply_norm_kernel<<<unsigned(n), k_threads, 0, s>>>(x, ss, w, dim, float(total_dim), eps, y);
    return cudaGetLastError();
}

cudaError_t launch_sum_ranks(const sum_ranks_params& p, cudaStream_t s) {
    if (p.count == 0) return cudaSuccess;
    if (p.ranks < 1 || p.ranks > k_max_ranks) return cudaErrorInvalidValue;
    sum_ranks_kernel<<<grid_stride_blocks(p.count, k_threads), k_threads, 0, s>>>(p);
    return cudaGetLastError();
}

}  // namespace m1::cuda
