#include "engine/cuda/cuda_attention.cuh"

namespace m1::cuda {

namespace {

constexpr int k_threads = 128;  // one key per thread in a tile; head dims split over the same threads
constexpr int k_max_d = 256;

__device__ float load(const float* p, int64_t i) {
    return p[i];
}
__device__ float load(const bf16* p, int64_t i) {
    return __bfloat162float(p[i]);
}
__device__ void store(float* p, int64_t i, float v) {
    p[i] = v;
}
__device__ void store(bf16* p, int64_t i, float v) {
    p[i] = __float2bfloat16(v);
}

// grid (n, nh + g): the first nh CTAs of a token rotate its query heads, the next g its key heads (and copy v).
template <class T>
__global__ void rope_cache_kernel(rope_cache_params p) {
    const int64_t t = blockIdx.x, hd = blockIdx.y, half = p.rotary_dim / 2;
    const float pos = float(p.pos0 + t);
    const bool is_q = hd < p.n_heads;
    const int64_t kvh = hd - p.n_heads;
    const int64_t KV = p.n_kv_heads * p.d;
    if (is_q) {
        float* x = p.q + t * p.ld_q + hd * p.d;
        for (int64_t i = threadIdx.x; i < half; i += blockDim.x) {
            const float angle = pos * p.inv_freq[i];  // fp32 product, as the references compute it
            const float c = cosf(angle), sn = sinf(angle);
            const float x1 = x[i], x2 = x[i + half];
            x[i] = x1 * c - x2 * sn;
            x[i + half] = x2 * c + x1 * sn;
        }
        return;
    }
    const float* k = p.k + t * p.ld_kv + kvh * p.d;
    const float* v = p.v + t * p.ld_kv + kvh * p.d;
    T* kc = static_cast<T*>(p.k_cache) + (p.pos0 + t) * KV + kvh * p.d;
    T* vc = static_cast<T*>(p.v_cache) + (p.pos0 + t) * KV + kvh * p.d;
    for (int64_t i = threadIdx.x; i < p.d; i += blockDim.x) {
        float out = k[i];
        if (i < half) {
            const float angle = pos * p.inv_freq[i];
            out = k[i] * cosf(angle) - k[i + half] * sinf(angle);
        } else if (i < p.rotary_dim) {
            const float angle = pos * p.inv_freq[i - half];
            out = k[i] * cosf(angle) + k[i - half] * sinf(angle);
        }
        store(kc, i, out);
        store(vc, i, v[i]);
    }
}

__device__ float block_max(float v, float* scratch) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    __syncthreads();
    if (threadIdx.x % 32 == 0) scratch[threadIdx.x / 32] = v;
    __syncthreads();
    float m = scratch[0];
    for (int w = 1; w < int(blockDim.x / 32); ++w) m = fmaxf(m, scratch[w]);
    return m;
}

__device__ float block_add(float v, float* scratch) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    __syncthreads();
    if (threadIdx.x % 32 == 0) scratch[threadIdx.x / 32] = v;
    __syncthreads();
    float s = 0;
    for (int w = 0; w < int(blockDim.x / 32); ++w) s += scratch[w];
    return s;
}

// grid (n, nh), k_threads threads: online softmax over tiles of k_threads keys.
template <class T>
__global__ void attention_kernel(attention_params p) {
    __shared__ float q[k_max_d];
    __shared__ float prob[k_threads];
    __shared__ float scratch[32];
    const int64_t t = blockIdx.x, h = blockIdx.y, d = p.d;
    const int64_t group = p.n_heads / p.n_kv_heads, KV = p.n_kv_heads * d;
    const T* K = static_cast<const T*>(p.k_cache) + (h / group) * d;
    const T* V = static_cast<const T*>(p.v_cache) + (h / group) * d;
    const int64_t keys = p.pos0 + t + 1;  // causal: this query sees cache rows [0, keys)
    for (int64_t x = threadIdx.x; x < d; x += blockDim.x) q[x] = p.q[t * p.ld_q + h * d + x] * p.scale;
    __syncthreads();
    float run_max = -INFINITY, run_sum = 0;
    float acc[k_max_d / k_threads] = {};
    for (int64_t k0 = 0; k0 < keys; k0 += k_threads) {
        const int64_t key = k0 + threadIdx.x;
        float sc = -INFINITY;
        if (key < keys) {
            const T* kr = K + key * KV;
            float dot = 0;
            for (int64_t x = 0; x < d; ++x) dot += q[x] * load(kr, x);
            sc = dot;
        }
        const float tile_max = block_max(sc, scratch);
        const float new_max = fmaxf(run_max, tile_max);
        const float rescale = expf(run_max - new_max);  // 0 on the first tile (run_max = −inf)
        const float pr = key < keys ? expf(sc - new_max) : 0.0f;
        prob[threadIdx.x] = pr;
        const float tile_sum = block_add(pr, scratch);  // its barriers also publish prob[]
        run_sum = run_sum * rescale + tile_sum;
        run_max = new_max;
        const int64_t tile = min(int64_t(k_threads), (int64_t)keys - k0);
#pragma unroll
        for (int c = 0; c < k_max_d / k_threads; ++c) {
            const int64_t e = threadIdx.x + int64_t(c) * k_threads;
            if (e < d) {
                float a = acc[c] * rescale;
                for (int64_t j = 0; j < tile; ++j) a += prob[j] * load(V, (k0 + j) * KV + e);
                acc[c] = a;
            }
        }
        __syncthreads();  // prob[] is rewritten by the next tile
    }
    const float inv = 1.0f / run_sum;
#pragma unroll
    for (int c = 0; c < k_max_d / k_threads; ++c) {
        const int64_t e = threadIdx.x + int64_t(c) * k_threads;
        if (e < d) p.o[t * p.n_heads * d + h * d + e] = acc[c] * inv;
    }
}

}  // namespace

cudaError_t launch_rope_cache(const rope_cache_params& p, cudaStream_t s) {
    if (p.n == 0) return cudaSuccess;
    const dim3 grid(unsigned(p.n), unsigned(p.n_heads + p.n_kv_heads));
    if (p.kv_f32)
        rope_cache_kernel<float><<<grid, 64, 0, s>>>(p);
    else
        rope_cache_kernel<bf16><<<grid, 64, 0, s>>>(p);
    return cudaGetLastError();
}

cudaError_t launch_attention(const attention_params& p, cudaStream_t s) {
    if (p.n >= 16 && attention_tiled_supported(p)) return launch_attention_tiled(p, s);
    return launch_attention_simple(p, s);
}

cudaError_t launch_attention_simple(const attention_params& p, cudaStream_t s) {
    if (p.n == 0) return cudaSuccess;
    if (p.d > k_max_d || p.n_kv_heads <= 0 || p.n_heads % p.n_kv_heads != 0) return cudaErrorInvalidValue;
    const dim3 grid(unsigned(p.n), unsigned(p.n_heads));
    if (p.kv_f32)
        attention_kernel<float><<<grid, k_threads, 0, s>>>(p);
    else
        attention_kernel<bf16><<<grid, k_threads, 0, s>>>(p);
    return cudaGetLastError();
}

}  // namespace m1::cuda
