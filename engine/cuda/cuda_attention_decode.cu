// Flash-decoding for grouped-query attention: one CTA per (KV head, chunk of k_decode_split_keys keys, query) serves
// all the query heads that share the KV head (8 for M1), so each key and value is read from memory once instead of
// once per query head. Keys and values stream through shared memory in tiles of 64 (16-byte global loads); warp w
// owns query head w of the group: lanes score keys lane and lane + 32 of a tile (rows padded to an odd number of
// 4-byte words, so the 32 lanes reading 32 different rows hit 32 different banks), keep the online softmax, and
// accumulate columns lane + 32·c of P·V. Output: the same per-chunk (max, sum, unnormalised o) records as
// decode_split_kernel, merged by the same combine kernel. fp32 arithmetic; the cache may be bf16 or fp32.
//
// Over a bf16 cache with d = 64 or 128 the same CTA shape runs on the tensor cores instead (decode_mma_kernel): the
// group's query heads are the 16 rows of an mma.sync A operand (padded with zeros), each of 4 warps takes every
// fourth 32-key tile of the chunk (cp.async into its own shared memory), S = Q·Kᵀ and O += P·V with q and P split
// into three bf16 parts (hi + mid + lo: ~24 significant bits, so the result keeps fp32 accuracy: the keys and values
// are exact in bf16), online softmax per warp, and the 4 warps' partial records merged in shared memory at the end.
#include "engine/cuda/cuda_attention.cuh"
#include "engine/cuda/cuda_mma.cuh"

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


constexpr int k_mma_warps = 4;
constexpr int k_mma_tile = 32;  // keys per warp tile

template <int D>
struct mma_layout {
    static constexpr int ld = D + 8;                            // bf16 row stride (ldmatrix conflict-free)
    static constexpr int q_elems = 3 * 16 * ld;                 // q as hi, mid, lo (16 rows each)
    static constexpr int warp_elems = 2 * k_mma_tile * ld;      // one warp's K and V tiles
    static constexpr size_t merge_bytes = size_t(k_mma_warps) * 16 * (D + 2) * sizeof(float);
    static constexpr size_t tile_bytes = size_t(q_elems + k_mma_warps * warp_elems) * sizeof(bf16);
    static constexpr size_t bytes = tile_bytes > merge_bytes ? tile_bytes : merge_bytes;
};

// Three bf16 parts whose sum carries ~24 significant bits of x.
__device__ __forceinline__ void split3(float x, bf16& a, bf16& b, bf16& c) {
    a = __float2bfloat16(x);
    const float r1 = x - __bfloat162float(a);
    b = __float2bfloat16(r1);
    c = __float2bfloat16(r1 - __bfloat162float(b));
}

template <int D>
__global__ void __launch_bounds__(32 * k_mma_warps) decode_mma_kernel(attention_decode_params dp) {
    using namespace mma;
    using L = mma_layout<D>;
    const attention_params& p = dp.a;
    extern __shared__ __align__(16) unsigned char smem_raw[];
    bf16* Qs = reinterpret_cast<bf16*>(smem_raw);  // [3][16][ld]
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    bf16* Kw = Qs + L::q_elems + warp * L::warp_elems;  // this warp's [k_mma_tile][ld] keys, then values
    bf16* Vw = Kw + k_mma_tile * L::ld;
    const int64_t group = p.n_heads / p.n_kv_heads, KV = p.n_kv_heads * D;
    const int64_t kvh = blockIdx.x, split = blockIdx.y, t = blockIdx.z, splits = gridDim.y;
    const int64_t pos0 = dp.pos_dev ? *dp.pos_dev : p.pos0;
    const int64_t keys = pos0 + t + 1;
    const int64_t k_begin = split * k_decode_split_keys, k_end = min(keys, k_begin + k_decode_split_keys);
    const auto record = [&](int64_t row) { return dp.part + ((t * p.n_heads + kvh * group + row) * splits + split) * (D + 2); };
    if (k_begin >= k_end) {  // past this query's keys: contributes nothing
        for (int64_t x = threadIdx.x; x < group * (D + 2); x += blockDim.x) {
            const int64_t row = x / (D + 2), c = x % (D + 2);
            record(row)[c] = c == 0 ? -INFINITY : 0.0f;
        }
        return;
    }
    for (int x = threadIdx.x; x < 16 * D; x += blockDim.x) {
        const int r = x / D, c = x % D;
        const float v = r < group ? p.q[t * p.ld_q + (kvh * group + r) * D + c] * p.scale : 0.0f;
        split3(v, Qs[r * L::ld + c], Qs[(16 + r) * L::ld + c], Qs[(32 + r) * L::ld + c]);
    }
    __syncthreads();
    uint32_t qf[3][D / 16][4];
#pragma unroll
    for (int part = 0; part < 3; ++part)
#pragma unroll
        for (int ks = 0; ks < D / 16; ++ks)
            ldmatrix_x4(qf[part][ks], Qs + (part * 16 + lane % 16) * L::ld + ks * 16 + (lane / 16) * 8);

    float o[D / 8][4];
#pragma unroll
    for (int nt = 0; nt < D / 8; ++nt) o[nt][0] = o[nt][1] = o[nt][2] = o[nt][3] = 0.0f;
    float m_run[2] = {-INFINITY, -INFINITY}, l_run[2] = {0.0f, 0.0f};
    const bf16* K = static_cast<const bf16*>(p.k_cache) + kvh * D;
    const bf16* V = static_cast<const bf16*>(p.v_cache) + kvh * D;
    constexpr int chunks = D / 8;  // 16-byte pieces per row
    for (int64_t k0 = k_begin + int64_t(warp) * k_mma_tile; k0 < k_end; k0 += int64_t(k_mma_warps) * k_mma_tile) {
        const int64_t rows = min(int64_t(k_mma_tile), k_end - k0);
        __syncwarp();  // the previous tile is used up
        for (int x = lane; x < k_mma_tile * chunks; x += 32) {
            const int r = x / chunks, c = (x % chunks) * 8;
            const bool ok = r < rows;
            const int64_t row = ok ? k0 + r : k0;
            cp_async16(Kw + r * L::ld + c, K + row * KV + c, ok);
            cp_async16(Vw + r * L::ld + c, V + row * KV + c, ok);
        }
        cp_async_commit();
        cp_async_wait_all();
        __syncwarp();
        float sc[k_mma_tile / 8][4];
#pragma unroll
        for (int j = 0; j < k_mma_tile / 8; ++j) sc[j][0] = sc[j][1] = sc[j][2] = sc[j][3] = 0.0f;
#pragma unroll
        for (int ks = 0; ks < D / 16; ++ks)
#pragma unroll
            for (int j = 0; j < k_mma_tile / 16; ++j) {
                uint32_t b[4];
                ldmatrix_x4(b, Kw + (j * 16 + lane % 8 + 8 * (lane / 16)) * L::ld + ks * 16 + 8 * ((lane / 8) % 2));
#pragma unroll
                for (int part = 2; part >= 0; --part) {  // small parts first
                    mma_bf16(sc[2 * j], qf[part][ks], b[0], b[1]);
                    mma_bf16(sc[2 * j + 1], qf[part][ks], b[2], b[3]);
                }
            }
#pragma unroll
        for (int j = 0; j < k_mma_tile / 8; ++j)
#pragma unroll
            for (int e = 0; e < 4; ++e)
                if (j * 8 + 2 * (lane % 4) + (e % 2) >= rows) sc[j][e] = -INFINITY;
        float alpha[2];
#pragma unroll
        for (int r = 0; r < 2; ++r) {
            float mx = m_run[r];
#pragma unroll
            for (int j = 0; j < k_mma_tile / 8; ++j) mx = fmaxf(mx, fmaxf(sc[j][2 * r], sc[j][2 * r + 1]));
            mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
            mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
            alpha[r] = expf(m_run[r] - mx);  // 0 on this warp's first tile (m_run = −inf, mx finite)
            m_run[r] = mx;
            float sum = 0.0f;
#pragma unroll
            for (int j = 0; j < k_mma_tile / 8; ++j) {
                sc[j][2 * r] = expf(sc[j][2 * r] - mx);
                sc[j][2 * r + 1] = expf(sc[j][2 * r + 1] - mx);
                sum += sc[j][2 * r] + sc[j][2 * r + 1];
            }
            l_run[r] = l_run[r] * alpha[r] + sum;
        }
#pragma unroll
        for (int nt = 0; nt < D / 8; ++nt) {
            o[nt][0] *= alpha[0];
            o[nt][1] *= alpha[0];
            o[nt][2] *= alpha[1];
            o[nt][3] *= alpha[1];
        }
#pragma unroll
        for (int j = 0; j < k_mma_tile / 16; ++j) {
            uint32_t a[3][4];
#pragma unroll
            for (int x = 0; x < 4; ++x) {
                const float* pair = &sc[2 * j + x / 2][2 * (x % 2)];
                bf16 p0[3], p1[3];
                split3(pair[0], p0[0], p0[1], p0[2]);
                split3(pair[1], p1[0], p1[1], p1[2]);
#pragma unroll
                for (int part = 0; part < 3; ++part) {
                    const __nv_bfloat162 v2 = __halves2bfloat162(p0[part], p1[part]);
                    a[part][x] = *reinterpret_cast<const uint32_t*>(&v2);
                }
            }
#pragma unroll
            for (int dt = 0; dt < D / 16; ++dt) {
                uint32_t b[4];
                ldmatrix_x4_trans(b, Vw + (j * 16 + lane % 8 + 8 * ((lane / 8) % 2)) * L::ld + dt * 16 + 8 * (lane / 16));
#pragma unroll
                for (int part = 2; part >= 0; --part) {
                    mma_bf16(o[2 * dt], a[part], b[0], b[1]);
                    mma_bf16(o[2 * dt + 1], a[part], b[2], b[3]);
                }
            }
        }
    }
#pragma unroll
    for (int r = 0; r < 2; ++r) {
        l_run[r] += __shfl_xor_sync(0xffffffffu, l_run[r], 1);
        l_run[r] += __shfl_xor_sync(0xffffffffu, l_run[r], 2);
    }
    // Merge the warps: each writes (m, l, o) of its 16 rows; warps with no tile left m = −inf, l = 0, o = 0.
    __syncthreads();  // every warp is done with its tiles: the merge area overlaps them
    float* merge = reinterpret_cast<float*>(smem_raw);  // [warp][16][D + 2]
#pragma unroll
    for (int r = 0; r < 2; ++r) {
        float* rec = merge + (warp * 16 + lane / 4 + 8 * r) * (D + 2);
        if (lane % 4 == 0) {
            rec[0] = m_run[r];
            rec[1] = l_run[r];
        }
#pragma unroll
        for (int nt = 0; nt < D / 8; ++nt) {
            rec[2 + nt * 8 + 2 * (lane % 4)] = o[nt][2 * r];
            rec[2 + nt * 8 + 2 * (lane % 4) + 1] = o[nt][2 * r + 1];
        }
    }
    __syncthreads();
    for (int64_t x = threadIdx.x; x < group * (D + 2); x += blockDim.x) {
        const int64_t row = x / (D + 2), c = x % (D + 2);
        float M = -INFINITY;
        for (int w = 0; w < k_mma_warps; ++w) M = fmaxf(M, merge[(w * 16 + row) * (D + 2)]);
        float v = M;
        if (c > 0) {
            v = 0.0f;
            for (int w = 0; w < k_mma_warps; ++w) {
                const float* rec = merge + (w * 16 + row) * (D + 2);
                if (rec[0] != -INFINITY) v += rec[c] * expf(rec[0] - M);
            }
        }
        record(row)[c] = v;
    }
}

template <int D>
cudaError_t launch_mma(const attention_decode_params& p, int64_t splits, cudaStream_t s) {
    const size_t bytes = mma_layout<D>::bytes;
    if (cudaError_t e =
            cudaFuncSetAttribute(decode_mma_kernel<D>, cudaFuncAttributeMaxDynamicSharedMemorySize, int(bytes));
        e != cudaSuccess)
        return e;
    const dim3 grid(unsigned(p.a.n_kv_heads), unsigned(splits), unsigned(p.a.n));
    decode_mma_kernel<D><<<grid, 32 * k_mma_warps, bytes, s>>>(p);
    return cudaGetLastError();
}

bool decode_mma_supported(const attention_decode_params& p) {
    const attention_params& a = p.a;
    return !a.kv_f32 && (a.d == 64 || a.d == 128) && a.n_kv_heads > 0 && a.n_heads % a.n_kv_heads == 0 &&
           a.n_heads / a.n_kv_heads <= 16 && (a.n_kv_heads * a.d) % 8 == 0 &&
           aligned(a.k_cache, 16) && aligned(a.v_cache, 16);
}

}  // namespace

bool attention_decode_gqa_supported(const attention_decode_params& p) {
    if (decode_mma_supported(p)) return true;
    const attention_params& a = p.a;
    const int vec = a.kv_f32 ? 4 : 8;
    return a.n_kv_heads > 0 && a.n_heads % a.n_kv_heads == 0 && a.n_heads / a.n_kv_heads <= k_gqa_warps &&
           a.d % 32 == 0 && a.d <= k_gqa_max_d && a.d % vec == 0 &&
           aligned(a.k_cache, 16) && aligned(a.v_cache, 16);
}

cudaError_t launch_attention_decode_gqa(const attention_decode_params& p, int64_t splits, cudaStream_t s) {
    if (!attention_decode_gqa_supported(p)) return cudaErrorInvalidValue;
    if (decode_mma_supported(p)) return p.a.d == 64 ? launch_mma<64>(p, splits, s) : launch_mma<128>(p, splits, s);
    return p.a.kv_f32 ? launch_typed<float>(p, splits, s) : launch_typed<bf16>(p, splits, s);
}

}  // namespace m1::cuda
