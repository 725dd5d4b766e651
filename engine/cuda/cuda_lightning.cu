#include "engine/cuda/cuda_lightning.cuh"

#include <cmath>

namespace m1::cuda {

namespace {

constexpr int k_kv_threads = 256;
constexpr int k_kv_tile = 16;  // tokens staged in shared memory at a time by kv_blocks
constexpr int k_out_threads = 128;
constexpr int k_out_queries = 16;  // queries per CTA in the output kernel
constexpr int k_max_d = 128;       // (d·d)/256 accumulators per thread in kv_blocks: 64 at d = 128

// Block b's contribution to the state, KV_b = Σ_i λ^(m−1−i) k_iᵀ v_i, into scratch[(b·nh + h)·d²].
// ENT = accumulators per thread (d² / 256 rounded up), kept in registers.
template <int ENT>
__global__ void kv_blocks_kernel(lightning_params p) {
    extern __shared__ float smem[];
    const int64_t b = blockIdx.x, h = blockIdx.y, d = p.d, B = p.block;
    const int64_t t0 = b * B, m = min(B, p.n - t0);
    float* kt = smem;                  // (tile, d) decayed keys
    float* vt = smem + k_kv_tile * d;  // (tile, d) values
    const float* pw = p.pw + h * (B + 1);
    float acc[ENT];
#pragma unroll
    for (int e = 0; e < ENT; ++e) acc[e] = 0.0f;
    for (int64_t c0 = 0; c0 < m; c0 += k_kv_tile) {
        const int64_t rows = min(int64_t(k_kv_tile), (int64_t)m - c0);
        for (int64_t x = threadIdx.x; x < rows * d; x += blockDim.x) {
            const int64_t i = c0 + x / d, col = x % d;
            const int64_t row = (t0 + i) * p.ld + h * p.head_stride + col;
            kt[x] = pw[m - 1 - i] * p.k[row];
            vt[x] = p.v[row];
        }
        __syncthreads();
#pragma unroll
        for (int e = 0; e < ENT; ++e) {
            const int64_t idx = threadIdx.x + int64_t(e) * blockDim.x;
            if (idx < d * d) {
                const int64_t r = idx / d, col = idx % d;
                float a = acc[e];
                for (int64_t i = 0; i < rows; ++i) a += kt[i * d + r] * vt[i * d + col];
                acc[e] = a;
            }
        }
        __syncthreads();
    }
    float* out = p.scratch + (b * p.n_heads + h) * d * d;
#pragma unroll
    for (int e = 0; e < ENT; ++e) {
        const int64_t idx = threadIdx.x + int64_t(e) * blockDim.x;
        if (idx < d * d) out[idx] = acc[e];
    }
}

// Sequential over blocks: scratch slot b becomes S_prev_b; the state ends as the state after the last block.
__global__ void scan_kernel(lightning_params p, int64_t n_blocks) {
    const int64_t h = blockIdx.x, d = p.d, B = p.block;
    const float* pw = p.pw + h * (B + 1);
    float* S = p.state + h * d * d;
    for (int64_t idx = threadIdx.x; idx < d * d; idx += blockDim.x) {
        float s = S[idx];
        for (int64_t b = 0; b < n_blocks; ++b) {
            const int64_t m = min(B, p.n - b * B);
            float* slot = p.scratch + (b * p.n_heads + h) * d * d + idx;
            const float kv = *slot;
            *slot = s;
            s = pw[m] * s + kv;
        }
        S[idx] = s;
    }
}

__global__ void output_kernel(lightning_params p) {
    extern __shared__ float smem[];
    const int64_t b = blockIdx.x, h = blockIdx.y, d = p.d, B = p.block;
    const int64_t t0 = b * B, m = min(B, p.n - t0);
    const float* pw = p.pw + h * (B + 1);
    const float* S_prev = p.scratch + (b * p.n_heads + h) * d * d;
    float* q = smem;       // (d)
    float* sc = smem + d;  // (B) decayed scores of one query
    const int64_t j_end = min(int64_t(m), (int64_t)int64_t(blockIdx.z + 1) * k_out_queries);
    for (int64_t j = int64_t(blockIdx.z) * k_out_queries; j < j_end; ++j) {
        const int64_t qrow = (t0 + j) * p.ld + h * p.head_stride;
        for (int64_t x = threadIdx.x; x < d; x += blockDim.x) q[x] = p.q[qrow + x];
        __syncthreads();
        for (int64_t i = threadIdx.x; i <= j; i += blockDim.x) {
            const float* k = p.k + (t0 + i) * p.ld + h * p.head_stride;
            float dot = 0;
            for (int64_t x = 0; x < d; ++x) dot += q[x] * k[x];
            sc[i] = pw[j - i] * dot;
        }
        __syncthreads();
        const float inter = pw[j + 1];
        for (int64_t e = threadIdx.x; e < d; e += blockDim.x) {
            float intra = 0;
            for (int64_t i = 0; i <= j; ++i) intra += sc[i] * p.v[(t0 + i) * p.ld + h * p.head_stride + e];
            float cross = 0;
            for (int64_t r = 0; r < d; ++r) cross += q[r] * S_prev[r * d + e];
            p.o[(t0 + j) * p.ldo + h * d + e] = intra + inter * cross;
        }
        __syncthreads();
    }
}

__global__ void decode_kernel(lightning_params p) {
    extern __shared__ float smem[];
    const int64_t h = blockIdx.x, d = p.d;
    float* q = smem;
    float* k = smem + d;
    float* v = smem + 2 * d;
    const int64_t base = h * p.head_stride;
    for (int64_t x = threadIdx.x; x < d; x += blockDim.x) {
        q[x] = p.q[base + x];
        k[x] = p.k[base + x];
        v[x] = p.v[base + x];
    }
    __syncthreads();
    const float lambda = p.pw[h * (p.block + 1) + 1];
    float* S = p.state + h * d * d;
    for (int64_t e = threadIdx.x; e < d; e += blockDim.x) {
        float acc = 0;
        for (int64_t r = 0; r < d; ++r) {
            const float s = lambda * S[r * d + e] + k[r] * v[e];
            S[r * d + e] = s;
            acc += q[r] * s;
        }
        p.o[h * d + e] = acc;
    }
}

}  // namespace

int64_t lightning_scratch_floats(int64_t n, int64_t n_heads, int64_t d, int64_t block) {
    const int64_t blocks = (n + block - 1) / block;
    return blocks * n_heads * d * d;
}

std::vector<float> lightning_decay_table(const std::vector<float>& slopes, int64_t block) {
    std::vector<float> pw(slopes.size() * size_t(block + 1));
    for (size_t h = 0; h < slopes.size(); ++h)
        for (int64_t t = 0; t <= block; ++t)
            pw[h * size_t(block + 1) + size_t(t)] = float(std::exp(-double(slopes[h]) * double(t)));
    return pw;
}

cudaError_t launch_lightning_prefill(const lightning_params& p, cudaStream_t s) {
    if (p.n == 0) return cudaSuccess;
    if (p.d > k_max_d || p.d <= 0 || p.block <= 0 || !p.scratch) return cudaErrorInvalidValue;
    const int64_t n_blocks = (p.n + p.block - 1) / p.block;
    const dim3 grid(unsigned(n_blocks), unsigned(p.n_heads));
    const size_t kv_smem = size_t(2 * k_kv_tile * p.d) * sizeof(float);
    const int64_t ent = (p.d * p.d + k_kv_threads - 1) / k_kv_threads;
    if (ent <= 1)
        kv_blocks_kernel<1><<<grid, k_kv_threads, kv_smem, s>>>(p);
    else if (ent <= 4)
        kv_blocks_kernel<4><<<grid, k_kv_threads, kv_smem, s>>>(p);
    else if (ent <= 16)
        kv_blocks_kernel<16><<<grid, k_kv_threads, kv_smem, s>>>(p);
    else
        kv_blocks_kernel<64><<<grid, k_kv_threads, kv_smem, s>>>(p);
    if (cudaError_t e = cudaGetLastError(); e != cudaSuccess) return e;
    scan_kernel<<<unsigned(p.n_heads), 256, 0, s>>>(p, n_blocks);
    if (cudaError_t e = cudaGetLastError(); e != cudaSuccess) return e;
    const int64_t tiles = (std::min(p.n, p.block) + k_out_queries - 1) / k_out_queries;
    const size_t out_smem = size_t(p.d + p.block) * sizeof(float);
    if (out_smem > 48 * 1024) return cudaErrorInvalidValue;
    output_kernel<<<dim3(unsigned(n_blocks), unsigned(p.n_heads), unsigned(tiles)), k_out_threads, out_smem, s>>>(p);
    return cudaGetLastError();
}

cudaError_t launch_lightning_decode(const lightning_params& p, cudaStream_t s) {
    if (p.n != 1 || p.d <= 0 || p.d > 1024) return cudaErrorInvalidValue;
    const int threads = p.d >= 128 ? 128 : 32;
    decode_kernel<<<unsigned(p.n_heads), threads, size_t(3 * p.d) * sizeof(float), s>>>(p);
    return cudaGetLastError();
}

}  // namespace m1::cuda
