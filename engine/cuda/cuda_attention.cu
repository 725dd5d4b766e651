#include "engine/cuda/cuda_attention.cuh"

#include <algorithm>
#include <cstdlib>

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
    const int64_t pos0 = p.pos_dev ? *p.pos_dev : p.pos0;
    const float pos = float(pos0 + t);
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
    T* kc = static_cast<T*>(p.k_cache) + (pos0 + t) * KV + kvh * p.d;
    T* vc = static_cast<T*>(p.v_cache) + (pos0 + t) * KV + kvh * p.d;
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

// 16-byte loads of 8 (bf16) or 4 (fp32) cache elements as floats.
__device__ void load_vec(const bf16* p, float* out) {
    const uint4 v = *reinterpret_cast<const uint4*>(p);
    const uint32_t words[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
    for (int i = 0; i < 4; ++i) {
        out[2 * i] = __uint_as_float(words[i] << 16);
        out[2 * i + 1] = __uint_as_float(words[i] & 0xffff0000u);
    }
}
__device__ void load_vec(const float* p, float* out) {
    const float4 v = *reinterpret_cast<const float4*>(p);
    out[0] = v.x;
    out[1] = v.y;
    out[2] = v.z;
    out[3] = v.w;
}
template <class T>
__host__ __device__ constexpr int vec_count() {
    return sizeof(T) == 2 ? 8 : 4;
}

// grid (nh, splits, n), k_threads threads: the online softmax of attention_kernel over keys [s·C, (s+1)·C) of the
// query's causal range; writes (max, sum, acc[d]) to part[((t·nh + h)·splits + s)·(d + 2)]. The heads are the
// fastest grid dimension so that the nh/g query heads sharing a kv head run side by side and read its keys and
// values from L2 rather than each from memory.
template <class T>
__global__ void decode_split_kernel(attention_decode_params dp) {
    const attention_params& p = dp.a;
    __shared__ float q[k_max_d];
    __shared__ float prob[k_threads];
    __shared__ float scratch[32];
    const int64_t h = blockIdx.x, split = blockIdx.y, t = blockIdx.z, d = p.d, splits = gridDim.y;
    const int64_t pos0 = dp.pos_dev ? *dp.pos_dev : p.pos0;
    const int64_t keys = pos0 + t + 1;
    const int64_t k_begin = split * k_decode_split_keys;
    const int64_t k_end = min(keys, k_begin + k_decode_split_keys);
    float* out = dp.part + ((t * p.n_heads + h) * splits + split) * (d + 2);
    if (k_begin >= k_end) {  // past this query's keys: contributes nothing
        if (threadIdx.x == 0) {
            out[0] = -INFINITY;
            out[1] = 0;
        }
        for (int64_t x = threadIdx.x; x < d; x += blockDim.x) out[2 + x] = 0;
        return;
    }
    const int64_t group = p.n_heads / p.n_kv_heads, KV = p.n_kv_heads * d;
    const T* K = static_cast<const T*>(p.k_cache) + (h / group) * d;
    const T* V = static_cast<const T*>(p.v_cache) + (h / group) * d;
    for (int64_t x = threadIdx.x; x < d; x += blockDim.x) q[x] = p.q[t * p.ld_q + h * d + x] * p.scale;
    __syncthreads();
    constexpr int C = vec_count<T>();
    const bool vec = d % C == 0 && KV % C == 0;
    float run_max = -INFINITY, run_sum = 0;
    float acc[k_max_d / k_threads] = {};
    for (int64_t k0 = k_begin; k0 < k_end; k0 += k_threads) {
        const int64_t key = k0 + threadIdx.x;
        float sc = -INFINITY;
        if (key < k_end) {
            const T* kr = K + key * KV;
            float dot = 0;
            if (vec) {
                for (int64_t x = 0; x < d; x += C) {
                    float kf[C];
                    load_vec(kr + x, kf);
#pragma unroll
                    for (int c = 0; c < C; ++c) dot += q[x + c] * kf[c];
                }
            } else {
                for (int64_t x = 0; x < d; ++x) dot += q[x] * load(kr, x);
            }
            sc = dot;
        }
        const float tile_max = block_max(sc, scratch);
        const float new_max = fmaxf(run_max, tile_max);
        const float rescale = expf(run_max - new_max);
        const float pr = key < k_end ? expf(sc - new_max) : 0.0f;
        prob[threadIdx.x] = pr;
        const float tile_sum = block_add(pr, scratch);
        run_sum = run_sum * rescale + tile_sum;
        run_max = new_max;
        const int64_t tile = min(int64_t(k_threads), k_end - k0);
#pragma unroll
        for (int c = 0; c < k_max_d / k_threads; ++c) {
            const int64_t e = threadIdx.x + int64_t(c) * k_threads;
            if (e < d) {
                float a = acc[c] * rescale;
                for (int64_t j = 0; j < tile; ++j) a += prob[j] * load(V, (k0 + j) * KV + e);
                acc[c] = a;
            }
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        out[0] = run_max;
        out[1] = run_sum;
    }
#pragma unroll
    for (int c = 0; c < k_max_d / k_threads; ++c) {
        const int64_t e = threadIdx.x + int64_t(c) * k_threads;
        if (e < d) out[2 + e] = acc[c];
    }
}

// grid (nh, n), k_combine_warps warps: merges the live splits of one query and head:
// o = Σ acc_s·e^(m_s − M) / Σ sum_s·e^(m_s − M). The splits are spread over the threads (1,024 of them at 1M keys):
// the maximum and the denominator by block reductions, the numerator by warps taking every k_combine_warps-th split
// (lanes on columns, coalesced) and adding their partial rows in shared memory.
constexpr int k_combine_warps = 8;
__global__ void __launch_bounds__(32 * k_combine_warps) decode_combine_kernel(attention_decode_params dp,
                                                                              int64_t splits) {
    const attention_params& p = dp.a;
    __shared__ float scratch[32];
    __shared__ float partial[k_combine_warps][k_max_d];
    const int64_t h = blockIdx.x, t = blockIdx.y, d = p.d;
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const int64_t pos0 = dp.pos_dev ? *dp.pos_dev : p.pos0;
    const int64_t live = (pos0 + t + k_decode_split_keys) / k_decode_split_keys;  // ceil((pos0 + t + 1) / C)
    const float* part = dp.part + (t * p.n_heads + h) * splits * (d + 2);
    float m = -INFINITY;
    for (int64_t s = threadIdx.x; s < live; s += blockDim.x) m = fmaxf(m, part[s * (d + 2)]);
    const float M = block_max(m, scratch);
    float l = 0;
    for (int64_t s = threadIdx.x; s < live; s += blockDim.x) l += part[s * (d + 2) + 1] * expf(part[s * (d + 2)] - M);
    const float inv = 1.0f / block_add(l, scratch);
    float acc[k_max_d / 32] = {};
    for (int64_t s = warp; s < live; s += k_combine_warps) {
        const float* rec = part + s * (d + 2);
        const float w = expf(rec[0] - M);
#pragma unroll
        for (int c = 0; c < k_max_d / 32; ++c)
            if (lane + 32 * c < d) acc[c] += w * rec[2 + lane + 32 * c];
    }
#pragma unroll
    for (int c = 0; c < k_max_d / 32; ++c)
        if (lane + 32 * c < d) partial[warp][lane + 32 * c] = acc[c];
    __syncthreads();
    for (int64_t e = threadIdx.x; e < d; e += blockDim.x) {
        float o = 0;
        for (int w = 0; w < k_combine_warps; ++w) o += partial[w][e];
        p.o[t * p.n_heads * d + h * d + e] = o * inv;
    }
}

}  // namespace

size_t attention_decode_scratch_floats(int64_t n, int64_t n_heads, int64_t d, int64_t max_keys) {
    const int64_t splits = std::max<int64_t>(1, (max_keys + k_decode_split_keys - 1) / k_decode_split_keys);
    return size_t(n * n_heads * splits * (d + 2));
}

cudaError_t launch_attention_decode(const attention_decode_params& p, cudaStream_t s) {
    const attention_params& a = p.a;
    if (a.n == 0) return cudaSuccess;
    if (a.d > k_max_d || a.n_kv_heads <= 0 || a.n_heads % a.n_kv_heads != 0 || !p.part || p.max_keys <= 0)
        return cudaErrorInvalidValue;
    const int64_t splits = (p.max_keys + k_decode_split_keys - 1) / k_decode_split_keys;
    if (splits > 65535) return cudaErrorInvalidValue;  // 67M keys
    if (attention_decode_gqa_supported(p)) {  // one CTA per KV head and chunk (cuda_attention_decode.cu)
        if (cudaError_t e = launch_attention_decode_gqa(p, splits, s); e != cudaSuccess) return e;
    } else {
        const dim3 grid(unsigned(a.n_heads), unsigned(splits), unsigned(a.n));
        if (a.kv_f32)
            decode_split_kernel<float><<<grid, k_threads, 0, s>>>(p);
        else
            decode_split_kernel<bf16><<<grid, k_threads, 0, s>>>(p);
    }
    decode_combine_kernel<<<dim3(unsigned(a.n_heads), unsigned(a.n)), 32 * k_combine_warps, 0, s>>>(p, splits);
    return cudaGetLastError();
}

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
    if (p.n >= 16 && attention_wgmma_supported(p)) {
        // M1_ATTENTION_VARIANT=N picks another variant of the Hopper kernel (comparisons on the GPU machine).
        static const int variant = [] {
            const char* v = std::getenv("M1_ATTENTION_VARIANT");
            const int x = v ? std::atoi(v) : k_attention_wgmma_default;
            return x >= 0 && x < k_attention_wgmma_variants ? x : k_attention_wgmma_default;
        }();
        return launch_attention_wgmma(p, s, variant);
    }
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
