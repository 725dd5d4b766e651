#include "engine/cuda/cuda_lightning.cuh"
#include "engine/cuda/cuda_mma.cuh"

#include <algorithm>
#include <cmath>

namespace m1::cuda {

namespace {

using namespace mma;

constexpr int k_tile = 64;          // tokens per shared-memory tile (keys in kv_blocks, queries and keys in output)
constexpr int k_out_warps = 4;      // output kernel: 16 queries per warp

template <int D>
__host__ __device__ constexpr int ld_of() {
    return D + 8;  // bf16 row stride: rows start 4 banks apart, ldmatrix conflict-free
}

// Loads rows [r0, r0 + k_tile) of one head's q, k or v (row stride ld) as hi + lo bf16 pairs into hi/lo
// (k_tile × ld_of<D>()), each row multiplied by scale(row) (0 past `rows`: zero-filled).
template <int D, typename Scale>
__device__ void load_split(const float* src, int64_t ld, int64_t rows, bf16* hi, bf16* lo, Scale scale) {
    constexpr int LD = ld_of<D>();
    for (int x = threadIdx.x; x < k_tile * D / 2; x += blockDim.x) {
        const int r = x / (D / 2), c = (x % (D / 2)) * 2;
        float2 v = make_float2(0.0f, 0.0f);
        if (r < rows) {
            const float f = scale(r);
            v = make_float2(src[r * ld + c] * f, src[r * ld + c + 1] * f);
        }
        bf16 h0, l0, h1, l1;
        split_bf16(v.x, h0, l0);
        split_bf16(v.y, h1, l1);
        *reinterpret_cast<__nv_bfloat162*>(hi + r * LD + c) = __halves2bfloat162(h0, h1);
        *reinterpret_cast<__nv_bfloat162*>(lo + r * LD + c) = __halves2bfloat162(l0, l1);
    }
}

// Block b's contribution to the state, KV_b = Σ_i λ^(m−1−i) k_iᵀ v_i (d × d), into scratch[(b·nh + h)·d²], on the
// tensor cores with hi + lo operands (fp32-like accuracy). Warp w owns rows [16w, 16w + 16) of KV_b (key dims).
// A = the decayed keys transposed (read with ldmatrix.trans from token-major rows), B = the values (the same).
template <int D>
__global__ void __launch_bounds__(2 * D) kv_blocks_kernel(lightning_params p) {
    constexpr int LD = ld_of<D>();
    extern __shared__ __align__(16) unsigned char smem[];
    bf16* k_hi = reinterpret_cast<bf16*>(smem);
    bf16* k_lo = k_hi + k_tile * LD;
    bf16* v_hi = k_lo + k_tile * LD;
    bf16* v_lo = v_hi + k_tile * LD;
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const int64_t b = blockIdx.x, h = blockIdx.y, B = p.block;
    const int64_t t0 = b * B, m = min(B, p.n - t0);
    const float* pw = p.pw + h * (B + 1);
    const int r0 = warp * 16;
    float acc[D / 8][4];
#pragma unroll
    for (int nt = 0; nt < D / 8; ++nt) acc[nt][0] = acc[nt][1] = acc[nt][2] = acc[nt][3] = 0.0f;
    for (int64_t c0 = 0; c0 < m; c0 += k_tile) {
        const int64_t rows = min(int64_t(k_tile), m - c0);
        const int64_t base = (t0 + c0) * p.ld + h * p.head_stride;
        __syncthreads();  // the previous tile is used up
        load_split<D>(p.k + base, p.ld, rows, k_hi, k_lo, [&](int r) { return pw[m - 1 - (c0 + r)]; });
        load_split<D>(p.v + base, p.ld, rows, v_hi, v_lo, [](int) { return 1.0f; });
        __syncthreads();
#pragma unroll
        for (int ks = 0; ks < k_tile / 16; ++ks) {
            uint32_t a_hi[4], a_lo[4];
            const int a_off = (ks * 16 + 8 * (lane / 16) + lane % 8) * LD + r0 + 8 * ((lane / 8) % 2);
            ldmatrix_x4_trans(a_hi, k_hi + a_off);
            ldmatrix_x4_trans(a_lo, k_lo + a_off);
#pragma unroll
            for (int nt2 = 0; nt2 < D / 16; ++nt2) {
                uint32_t b_hi[4], b_lo[4];
                const int b_off = (ks * 16 + lane % 8 + 8 * ((lane / 8) % 2)) * LD + nt2 * 16 + 8 * (lane / 16);
                ldmatrix_x4_trans(b_hi, v_hi + b_off);
                ldmatrix_x4_trans(b_lo, v_lo + b_off);
                mma_bf16x3(acc[2 * nt2], a_hi, a_lo, b_hi[0], b_hi[1], b_lo[0], b_lo[1]);
                mma_bf16x3(acc[2 * nt2 + 1], a_hi, a_lo, b_hi[2], b_hi[3], b_lo[2], b_lo[3]);
            }
        }
    }
    float* out = p.scratch + (b * p.n_heads + h) * D * D;
#pragma unroll
    for (int nt = 0; nt < D / 8; ++nt)
#pragma unroll
        for (int e = 0; e < 4; ++e)
            out[(r0 + lane / 4 + 8 * (e / 2)) * D + nt * 8 + 2 * (lane % 4) + e % 2] = acc[nt][e];
}

// Sequential over blocks: scratch slot b becomes S_prev_b; the state ends as the state after the last block. One
// thread per state element (grid: heads × d²/256), so the d² independent recurrences of every head run at once.
__global__ void scan_kernel(lightning_params p, int64_t n_blocks) {
    const int64_t h = blockIdx.x, d = p.d, B = p.block;
    const int64_t idx = int64_t(blockIdx.y) * blockDim.x + threadIdx.x;
    if (idx >= d * d) return;
    const float* pw = p.pw + h * (B + 1);
    float* S = p.state + h * d * d;
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

// Outputs of 64 queries of one block and head: o_j = λ^(j+1) q_j S_prev + Σ_{i<=j} λ^(j−i) (q_j·k_i) v_i, the
// cross term first (Q · S_prev on the tensor cores, then each row scaled), then the block's keys in tiles of 64 up
// to the diagonal: scores in registers, decayed and masked, split into hi + lo and multiplied into O without
// touching shared memory (all products hi + lo, fp32-like accuracy).
template <int D>
__global__ void __launch_bounds__(32 * k_out_warps) output_kernel(lightning_params p) {
    constexpr int LD = ld_of<D>();
    constexpr int s_rows = D > k_tile ? D : k_tile;  // S_prev, later the value tile
    extern __shared__ __align__(16) unsigned char smem[];
    bf16* s_hi = reinterpret_cast<bf16*>(smem);  // S_prev (D × D), then V tile (k_tile × D)
    bf16* s_lo = s_hi + s_rows * LD;
    bf16* q_hi = s_lo + s_rows * LD;  // Q tile, then K tile (k_tile × D)
    bf16* q_lo = q_hi + k_tile * LD;
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const int64_t b = blockIdx.x, h = blockIdx.y, B = p.block;
    const int64_t t0 = b * B, m = min(B, p.n - t0), j0 = int64_t(blockIdx.z) * k_tile;
    if (j0 >= m) return;
    const float* pw = p.pw + h * (B + 1);
    const int64_t head = h * p.head_stride;

    load_split<D>(p.q + (t0 + j0) * p.ld + head, p.ld, min(int64_t(k_tile), m - j0), q_hi, q_lo,
                  [](int) { return 1.0f; });
    const float* S_prev = p.scratch + (b * p.n_heads + h) * D * D;
    for (int x = threadIdx.x; x < D * D / 2; x += blockDim.x) {
        const int r = x / (D / 2), c = (x % (D / 2)) * 2;
        bf16 h0, l0, h1, l1;
        split_bf16(S_prev[r * D + c], h0, l0);
        split_bf16(S_prev[r * D + c + 1], h1, l1);
        *reinterpret_cast<__nv_bfloat162*>(s_hi + r * LD + c) = __halves2bfloat162(h0, h1);
        *reinterpret_cast<__nv_bfloat162*>(s_lo + r * LD + c) = __halves2bfloat162(l0, l1);
    }
    __syncthreads();
    uint32_t qh[D / 16][4], ql[D / 16][4];
#pragma unroll
    for (int ks = 0; ks < D / 16; ++ks) {
        const int off = (warp * 16 + lane % 16) * LD + ks * 16 + (lane / 16) * 8;
        ldmatrix_x4(qh[ks], q_hi + off);
        ldmatrix_x4(ql[ks], q_lo + off);
    }
    float o[D / 8][4];
#pragma unroll
    for (int nt = 0; nt < D / 8; ++nt) o[nt][0] = o[nt][1] = o[nt][2] = o[nt][3] = 0.0f;
    // cross term: O = Q · S_prev (B fragments of S_prev, row = key dim, through ldmatrix.trans)
#pragma unroll
    for (int ks = 0; ks < D / 16; ++ks)
#pragma unroll
        for (int nt2 = 0; nt2 < D / 16; ++nt2) {
            uint32_t b_hi[4], b_lo[4];
            const int off = (ks * 16 + lane % 8 + 8 * ((lane / 8) % 2)) * LD + nt2 * 16 + 8 * (lane / 16);
            ldmatrix_x4_trans(b_hi, s_hi + off);
            ldmatrix_x4_trans(b_lo, s_lo + off);
            mma_bf16x3(o[2 * nt2], qh[ks], ql[ks], b_hi[0], b_hi[1], b_lo[0], b_lo[1]);
            mma_bf16x3(o[2 * nt2 + 1], qh[ks], ql[ks], b_hi[2], b_hi[3], b_lo[2], b_lo[3]);
        }
    const int64_t jr[2] = {j0 + warp * 16 + lane / 4, j0 + warp * 16 + lane / 4 + 8};  // this lane's query rows
    const float inter[2] = {jr[0] < m ? pw[jr[0] + 1] : 0.0f, jr[1] < m ? pw[jr[1] + 1] : 0.0f};
#pragma unroll
    for (int nt = 0; nt < D / 8; ++nt) {
        o[nt][0] *= inter[0];
        o[nt][1] *= inter[0];
        o[nt][2] *= inter[1];
        o[nt][3] *= inter[1];
    }

    const int64_t last_key = min(m, j0 + k_tile);  // keys [0, last_key) can be seen by this tile's queries
    for (int64_t k0 = 0; k0 < last_key; k0 += k_tile) {
        __syncthreads();  // S_prev / Q (first pass) or the previous K, V tiles are used up
        const int64_t rows = min(int64_t(k_tile), m - k0);
        const int64_t base = (t0 + k0) * p.ld + head;
        load_split<D>(p.k + base, p.ld, rows, q_hi, q_lo, [](int) { return 1.0f; });
        load_split<D>(p.v + base, p.ld, rows, s_hi, s_lo, [](int) { return 1.0f; });
        __syncthreads();
        float sc[k_tile / 8][4];
#pragma unroll
        for (int j = 0; j < k_tile / 8; ++j) sc[j][0] = sc[j][1] = sc[j][2] = sc[j][3] = 0.0f;
#pragma unroll
        for (int ks = 0; ks < D / 16; ++ks)
#pragma unroll
            for (int j = 0; j < k_tile / 16; ++j) {
                uint32_t b_hi[4], b_lo[4];
                const int off = (j * 16 + lane % 8 + 8 * (lane / 16)) * LD + ks * 16 + 8 * ((lane / 8) % 2);
                ldmatrix_x4(b_hi, q_hi + off);
                ldmatrix_x4(b_lo, q_lo + off);
                mma_bf16x3(sc[2 * j], qh[ks], ql[ks], b_hi[0], b_hi[1], b_lo[0], b_lo[1]);
                mma_bf16x3(sc[2 * j + 1], qh[ks], ql[ks], b_hi[2], b_hi[3], b_lo[2], b_lo[3]);
            }
        // decay λ^(j−i) below and on the diagonal, 0 above it and past the block's end
#pragma unroll
        for (int j = 0; j < k_tile / 8; ++j)
#pragma unroll
            for (int e = 0; e < 4; ++e) {
                const int64_t key = k0 + j * 8 + 2 * (lane % 4) + (e % 2), q = jr[e / 2];
                sc[j][e] = key <= q && q < m ? pw[q - key] * sc[j][e] : 0.0f;
            }
#pragma unroll
        for (int j = 0; j < k_tile / 16; ++j) {
            uint32_t a_hi[4], a_lo[4];
#pragma unroll
            for (int x = 0; x < 4; ++x) {
                const float* pair = &sc[2 * j + x / 2][2 * (x % 2)];
                bf16 h0, l0, h1, l1;
                split_bf16(pair[0], h0, l0);
                split_bf16(pair[1], h1, l1);
                const __nv_bfloat162 hv = __halves2bfloat162(h0, h1), lv = __halves2bfloat162(l0, l1);
                a_hi[x] = *reinterpret_cast<const uint32_t*>(&hv);
                a_lo[x] = *reinterpret_cast<const uint32_t*>(&lv);
            }
#pragma unroll
            for (int nt2 = 0; nt2 < D / 16; ++nt2) {
                uint32_t b_hi[4], b_lo[4];
                const int off = (j * 16 + lane % 8 + 8 * ((lane / 8) % 2)) * LD + nt2 * 16 + 8 * (lane / 16);
                ldmatrix_x4_trans(b_hi, s_hi + off);
                ldmatrix_x4_trans(b_lo, s_lo + off);
                mma_bf16x3(o[2 * nt2], a_hi, a_lo, b_hi[0], b_hi[1], b_lo[0], b_lo[1]);
                mma_bf16x3(o[2 * nt2 + 1], a_hi, a_lo, b_hi[2], b_hi[3], b_lo[2], b_lo[3]);
            }
        }
    }
#pragma unroll
    for (int r = 0; r < 2; ++r) {
        if (jr[r] >= m) continue;
        float* out = p.o + (t0 + jr[r]) * p.ldo + h * D + 2 * (lane % 4);
#pragma unroll
        for (int nt = 0; nt < D / 8; ++nt) {
            out[nt * 8] = o[nt][2 * r];
            out[nt * 8 + 1] = o[nt][2 * r + 1];
        }
    }
}

__global__ void decode_kernel(lightning_params p) {
    extern __shared__ float shared_f[];
    const int64_t h = blockIdx.x, d = p.d;
    float* q = shared_f;
    float* k = shared_f + d;
    float* v = shared_f + 2 * d;
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

namespace {

template <int D>
cudaError_t launch_blocks(const lightning_params& p, int64_t n_blocks, cudaStream_t s) {
    constexpr int LD = ld_of<D>();
    const size_t kv_smem = size_t(4 * k_tile * LD) * sizeof(bf16);
    constexpr int s_rows = D > k_tile ? D : k_tile;
    const size_t out_smem = size_t(2 * s_rows * LD + 2 * k_tile * LD) * sizeof(bf16);
    if (cudaError_t e = cudaFuncSetAttribute(kv_blocks_kernel<D>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                             int(kv_smem));
        e != cudaSuccess)
        return e;
    if (cudaError_t e = cudaFuncSetAttribute(output_kernel<D>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                                             int(out_smem));
        e != cudaSuccess)
        return e;
    const dim3 grid(unsigned(n_blocks), unsigned(p.n_heads));
    kv_blocks_kernel<D><<<grid, 2 * D, kv_smem, s>>>(p);
    if (cudaError_t e = cudaGetLastError(); e != cudaSuccess) return e;
    scan_kernel<<<dim3(unsigned(p.n_heads), unsigned((D * D + 255) / 256)), 256, 0, s>>>(p, n_blocks);
    if (cudaError_t e = cudaGetLastError(); e != cudaSuccess) return e;
    const int64_t tiles = (std::min(p.n, p.block) + k_tile - 1) / k_tile;
    output_kernel<D><<<dim3(unsigned(n_blocks), unsigned(p.n_heads), unsigned(tiles)), 32 * k_out_warps, out_smem,
                       s>>>(p);
    return cudaGetLastError();
}

}  // namespace

bool lightning_prefill_supported(const lightning_params& p) {
    return (p.d == 16 || p.d == 32 || p.d == 64 || p.d == 128) && p.block > 0 && p.scratch && p.ld % 2 == 0 &&
           p.head_stride % 2 == 0 && p.ldo % 2 == 0;
}

cudaError_t launch_lightning_prefill(const lightning_params& p, cudaStream_t s) {
    if (p.n == 0) return cudaSuccess;
    if (!lightning_prefill_supported(p)) return cudaErrorInvalidValue;
    const int64_t n_blocks = (p.n + p.block - 1) / p.block;
    switch (p.d) {
    case 16:
        return launch_blocks<16>(p, n_blocks, s);
    case 32:
        return launch_blocks<32>(p, n_blocks, s);
    case 64:
        return launch_blocks<64>(p, n_blocks, s);
    default:
        return launch_blocks<128>(p, n_blocks, s);
    }
}

cudaError_t launch_lightning_decode(const lightning_params& p, cudaStream_t s) {
    if (p.n != 1 || p.d <= 0 || p.d > 1024) return cudaErrorInvalidValue;
    const int threads = p.d >= 128 ? 128 : 32;
    decode_kernel<<<unsigned(p.n_heads), threads, size_t(3 * p.d) * sizeof(float), s>>>(p);
    return cudaGetLastError();
}

}  // namespace m1::cuda
