// Flash-decoding for grouped-query attention: one CTA per (KV head, chunk of k_decode_split_keys keys, query) serves
// all the query heads that share the KV head (8 for M1), so each key and value is read from memory once instead of
// once per query head. Keys and values stream through shared memory in tiles of 64 (16-byte global loads); warp w
// owns query head w of the group: lanes score keys lane and lane + 32 of a tile (rows padded to an odd number of
// 4-byte words, so the 32 lanes reading 32 different rows hit 32 different banks), keep the online softmax, and
// accumulate columns lane + 32·c of P·V. Output: the same per-chunk (max, sum, unnormalised o) records as
// decode_split_kernel, merged by the same combine kernel. fp32 arithmetic; the cache may be bf16 or fp32.
#include "engine/cuda/cuda_attention.cuh"

namespace m1::cuda {

namespace {

constexpr int k_gqa_warps = 8;  // query heads per CTA at most
constexpr int k_gqa_tile = 64;  // keys per shared-memory tile
constexpr int k_gqa_max_d = 256;

template <class T>
struct cache_traits;
template <>
struct cache_traits<bf16> {
    static constexpr int vec = 8;                                           // elements per 16-byte load
    static __host__ __device__ constexpr int64_t stride(int64_t d) { return d + 2; }  // d/2 + 1 words: odd when 4 | d
};
template <>
struct cache_traits<float> {
    static constexpr int vec = 4;
    static __host__ __device__ constexpr int64_t stride(int64_t d) { return d + 1; }  // odd when d is even
};

__device__ __forceinline__ float to_float(bf16 v) {
    return __bfloat162float(v);
}
__device__ __forceinline__ float to_float(float v) {
    return v;
}

template <class T>
__global__ void __launch_bounds__(32 * k_gqa_warps) decode_gqa_kernel(attention_decode_params dp) {
    using tr = cache_traits<T>;
    const attention_params& p = dp.a;
    extern __shared__ __align__(16) unsigned char smem_raw[];
    const int64_t d = p.d, group = p.n_heads / p.n_kv_heads, KV = p.n_kv_heads * d, S = tr::stride(d);
    float* q = reinterpret_cast<float*>(smem_raw);                                  // (group, d), scaled
    T* Kt = reinterpret_cast<T*>(smem_raw + sizeof(float) * k_gqa_warps * k_gqa_max_d);  // (tile, S)
    T* Vt = Kt + k_gqa_tile * S;
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const int64_t kvh = blockIdx.x, split = blockIdx.y, t = blockIdx.z, splits = gridDim.y;
    const int64_t pos0 = dp.pos_dev ? *dp.pos_dev : p.pos0;
    const int64_t keys = pos0 + t + 1;
    const int64_t k_begin = split * k_decode_split_keys, k_end = min(keys, k_begin + k_decode_split_keys);
    const int64_t h = kvh * group + warp;  // this warp's query head
    const bool active = warp < group;
    float* out = dp.part + ((t * p.n_heads + h) * splits + split) * (d + 2);
    if (k_begin >= k_end) {  // past this query's keys: contributes nothing
        if (active) {
            if (lane == 0) {
                out[0] = -INFINITY;
                out[1] = 0;
            }
            for (int64_t x = lane; x < d; x += 32) out[2 + x] = 0;
        }
        return;
    }
    for (int64_t x = threadIdx.x; x < group * d; x += blockDim.x)
        q[x] = p.q[t * p.ld_q + (kvh * group + x / d) * d + x % d] * p.scale;
    const T* K = static_cast<const T*>(p.k_cache) + kvh * d;
    const T* V = static_cast<const T*>(p.v_cache) + kvh * d;
    const float* qh = q + warp * d;
    float run_max = -INFINITY, run_sum = 0;
    float acc[k_gqa_max_d / 32] = {};
    const int cols = int(d / 32);  // columns per lane (d is a multiple of 32 here)
    for (int64_t k0 = k_begin; k0 < k_end; k0 += k_gqa_tile) {
        const int64_t rows = min(int64_t(k_gqa_tile), k_end - k0);
        __syncthreads();  // q written (first tile), the previous tile used up
        const int64_t pieces = d / tr::vec;
        for (int64_t x = threadIdx.x; x < rows * pieces; x += blockDim.x) {
            const int64_t r = x / pieces, c = (x % pieces) * tr::vec;
            const uint4 kv = *reinterpret_cast<const uint4*>(K + (k0 + r) * KV + c);
            const uint4 vv = *reinterpret_cast<const uint4*>(V + (k0 + r) * KV + c);
            uint32_t* kd = reinterpret_cast<uint32_t*>(Kt + r * S + c);  // 4-byte aligned: S and c are even
            uint32_t* vd = reinterpret_cast<uint32_t*>(Vt + r * S + c);
            kd[0] = kv.x, kd[1] = kv.y, kd[2] = kv.z, kd[3] = kv.w;
            vd[0] = vv.x, vd[1] = vv.y, vd[2] = vv.z, vd[3] = vv.w;
        }
        __syncthreads();
        if (!active) continue;
        float sc[2];
#pragma unroll
        for (int j = 0; j < 2; ++j) {
            const int64_t r = lane + 32 * j;
            float dot = -INFINITY;
            if (r < rows) {
                dot = 0;
                const T* kr = Kt + r * S;
                for (int64_t x = 0; x < d; ++x) dot += qh[x] * to_float(kr[x]);
            }
            sc[j] = dot;
        }
        float tile_max = fmaxf(sc[0], sc[1]);
        for (int o = 16; o > 0; o >>= 1) tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, o));
        const float new_max = fmaxf(run_max, tile_max);
        const float rescale = expf(run_max - new_max);
        const float p0 = expf(sc[0] - new_max), p1 = expf(sc[1] - new_max);  // exp(−inf) = 0 past `rows`
        float tile_sum = p0 + p1;
        for (int o = 16; o > 0; o >>= 1) tile_sum += __shfl_xor_sync(0xffffffffu, tile_sum, o);
        run_sum = run_sum * rescale + tile_sum;
        run_max = new_max;
#pragma unroll
        for (int c = 0; c < k_gqa_max_d / 32; ++c) acc[c] *= rescale;
        for (int64_t r = 0; r < rows; ++r) {
            const float pr = __shfl_sync(0xffffffffu, r < 32 ? p0 : p1, int(r % 32));
            const T* vr = Vt + r * S + lane;
#pragma unroll
            for (int c = 0; c < k_gqa_max_d / 32; ++c)
                if (c < cols) acc[c] += pr * to_float(vr[32 * c]);
        }
    }
    if (!active) return;
    if (lane == 0) {
        out[0] = run_max;
        out[1] = run_sum;
    }
#pragma unroll
    for (int c = 0; c < k_gqa_max_d / 32; ++c)
        if (c < cols) out[2 + lane + 32 * c] = acc[c];
}

template <class T>
cudaError_t launch_typed(const attention_decode_params& p, int64_t splits, cudaStream_t s) {
    const size_t bytes =
        sizeof(float) * k_gqa_warps * k_gqa_max_d + sizeof(T) * 2 * k_gqa_tile * size_t(cache_traits<T>::stride(p.a.d));
    if (cudaError_t e = cudaFuncSetAttribute(decode_gqa_kernel<T>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                             int(bytes));
        e != cudaSuccess)
        return e;
    const dim3 grid(unsigned(p.a.n_kv_heads), unsigned(splits), unsigned(p.a.n));
    decode_gqa_kernel<T><<<grid, 32 * k_gqa_warps, bytes, s>>>(p);
    return cudaGetLastError();
}

}  // namespace

bool attention_decode_gqa_supported(const attention_decode_params& p) {
    const attention_params& a = p.a;
    const int vec = a.kv_f32 ? 4 : 8;
    return a.n_kv_heads > 0 && a.n_heads % a.n_kv_heads == 0 && a.n_heads / a.n_kv_heads <= k_gqa_warps &&
           a.d % 32 == 0 && a.d <= k_gqa_max_d && a.d % vec == 0 &&
           reinterpret_cast<uintptr_t>(a.k_cache) % 16 == 0 && reinterpret_cast<uintptr_t>(a.v_cache) % 16 == 0;
}

cudaError_t launch_attention_decode_gqa(const attention_decode_params& p, int64_t splits, cudaStream_t s) {
    if (!attention_decode_gqa_supported(p)) return cudaErrorInvalidValue;
    return p.a.kv_f32 ? launch_typed<float>(p, splits, s) : launch_typed<bf16>(p, splits, s);
}

}  // namespace m1::cuda
