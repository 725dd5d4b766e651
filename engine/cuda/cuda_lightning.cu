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

// One token: S = λ S + kᵀ v, o = q S. Grid (heads, ceil(d / 64)): a CTA owns 64 value columns e of one head and its
// 512 threads split the key rows r by residue mod 8, so every thread issues its handful of independent state loads at
// once (one thread walking all d rows serially waited on each load: ~55 µs a layer at d = 128). The column's o is the
// sum of the eight row groups' partial sums, added in group order (deterministic).
constexpr int k_dec_cols = 64, k_dec_groups = 8;

__global__ void __launch_bounds__(k_dec_cols * k_dec_groups) decode_kernel(lightning_params p) {
    extern __shared__ float shared_f[];  // q, k, v (3d), then the partial sums (k_dec_groups, k_dec_cols)
    const int64_t h = blockIdx.x, d = p.d;
    float* q = shared_f;
    float* k = shared_f + d;
    float* v = shared_f + 2 * d;
    float* part = shared_f + 3 * d;
    const int64_t base = h * p.head_stride;
    for (int64_t x = threadIdx.x; x < d; x += blockDim.x) {
        q[x] = p.q[base + x];
        k[x] = p.k[base + x];
        v[x] = p.v[base + x];
    }
    __syncthreads();
    const int col = threadIdx.x % k_dec_cols, g = threadIdx.x / k_dec_cols;
    const int64_t e = int64_t(blockIdx.y) * k_dec_cols + col;
    const float lambda = p.pw[h * (p.block + 1) + 1];
    float* S = p.state + h * d * d;
    float acc = 0;
    if (e < d) {
        const float ve = v[e];
        for (int64_t r0 = g; r0 < d; r0 += 4 * k_dec_groups) {  // four rows' loads in flight at a time
            float s[4];
#pragma unroll
            for (int u = 0; u < 4; ++u) {
                const int64_t r = r0 + u * k_dec_groups;
                s[u] = r < d ? S[r * d + e] : 0.0f;
            }
#pragma unroll
            for (int u = 0; u < 4; ++u) {
                const int64_t r = r0 + u * k_dec_groups;
                if (r >= d) break;
                const float sn = lambda * s[u] + k[r] * ve;
                S[r * d + e] = sn;
                acc += q[r] * sn;
            }
        }
    }
    part[g * k_dec_cols + col] = acc;
    __syncthreads();
    if (g == 0 && e < d) {
        float o = part[col];
        for (int i = 1; i < k_dec_groups; ++i) o += part[i * k_dec_cols + col];
        p.o[h * d + e] = o;
    }
}

// ---- fused prefill ----------------------------------------------------------------------------------------------
// One CTA per (value slice, head) walks the call in steps of k_step tokens. Per step, with S the fp32 state slice
// (D × DV) before it:
//   output (warp w: queries [16·r, +16) with r = w for w < 4 and 7 − w after, value columns [DV/2·(w / 4), +DV/2)):
//       O = diag(λ^(j+1)) Q S + ((Q Kᵀ) ⊙ M) V,   M[j, i] = λ^(j−i) for i <= j < m, else 0
//   update (warp w: key dims [16·(w % RG), +16), value columns [UW·(w / RG), +UW)):
//       S = λ^m S + (diag(λ^(m−1−i)) K)ᵀ V        (S lives in this warp's accumulator registers throughout)
// Tiles in shared memory are bf16 with rows padded by 8 (ldmatrix conflict-free). Operands that are exact in bf16
// (bf16 inputs without SiLU) are one part; everything else a hi + lo pair (mma_parts), so products keep fp32-like
// accuracy. Exact inputs are copied with cp.async straight into a double-buffered tile set; other inputs are copied
// raw into a staging area and converted (SiLU, split) at the start of the step that uses them.
constexpr int k_step = 64;    // tokens per step (pw has at least k_step + 1 entries: block >= k_step)
constexpr int k_fz_warps = 8;
constexpr int k_exact_slices = 2;  // value slices per head for d = 128 with bf16 inputs without SiLU (4 measured
                                   // slower on the H200 at 128K tokens: 12.2 ms against 10.7)

template <int D, int DV, typename In, bool SILU>
struct fused_cfg {
    static constexpr bool lo = SILU || sizeof(In) == 4;  // q, k, v need a lo part
    static constexpr int LDQ = D + 8, LDV = DV + 8;       // bf16 row strides of the Q/K tiles and of V/S
    static constexpr int W = 2 * D + DV;                  // raw elements of one token's q | k | v-slice
    static constexpr int q_elems = k_step * LDQ, v_elems = k_step * LDV;
    static constexpr int parts = lo ? 2 : 1;
    static constexpr int stages = lo ? 1 : 2;  // lo: one tile set plus the raw staging area
    // bf16 elements of one stage: Q and K (parts each), V (parts)
    static constexpr int stage_elems = parts * (2 * q_elems + v_elems);
    static constexpr int s_elems = D * LDV;  // one part of the state tile
    static constexpr size_t tiles_bytes = size_t(stages * stage_elems + 2 * s_elems) * 2;
    static constexpr size_t staging_bytes = lo ? size_t(k_step) * W * sizeof(In) : 0;
    static constexpr size_t smem_bytes = tiles_bytes + staging_bytes + (k_step + 1) * sizeof(float);
    static constexpr int RG = D / 16, UC = k_fz_warps / RG, UW = DV / UC;  // update roles
    static constexpr int ON = DV / 2 / 8, UN = UW / 8;                    // n-tiles per warp: output, update
    static_assert(RG * UC == k_fz_warps && UN % 2 == 0 && ON % 2 == 0, "fused lightning: unsupported D / DV");
};

template <bool ALO, bool BLO>
__device__ __forceinline__ void mma_parts(float (&c)[4], const uint32_t (&a_hi)[4], const uint32_t (&a_lo)[4],
                                          uint32_t b0_hi, uint32_t b1_hi, uint32_t b0_lo, uint32_t b1_lo) {
    if constexpr (ALO) mma_bf16(c, a_lo, b0_hi, b1_hi);
    if constexpr (BLO) mma_bf16(c, a_hi, b0_lo, b1_lo);
    mma_bf16(c, a_hi, b0_hi, b1_hi);
}

__device__ __forceinline__ void split_pack(float x0, float x1, uint32_t& hi, uint32_t& lo) {
    bf16 h0, l0, h1, l1;
    split_bf16(x0, h0, l0);
    split_bf16(x1, h1, l1);
    const __nv_bfloat162 hv = __halves2bfloat162(h0, h1), lv = __halves2bfloat162(l0, l1);
    hi = *reinterpret_cast<const uint32_t*>(&hv);
    lo = *reinterpret_cast<const uint32_t*>(&lv);
}

// SiLU with the fast exponential (relative error ~1e-6 at the activations' magnitudes; far below the hi + lo
// split's 2^-16). A very negative x gives e^(−x) = inf and x · 0 = −0, as x · sigmoid(x) does.
__device__ __forceinline__ float silu_f(float x) {
    return x * __frcp_rn(1.0f + __expf(-x));
}

template <typename In>
__device__ __forceinline__ const In* input(const lightning_params& p, int which) {
    if constexpr (sizeof(In) == 2)
        return which == 0 ? p.q16 : which == 1 ? p.k16 : p.v16;
    else
        return which == 0 ? p.q : which == 1 ? p.k : p.v;
}

// The tiles of one stage: Q, K (k_step × LDQ), V (k_step × LDV), each hi then (lo mode) lo.
struct fused_tiles {
    bf16 *q_hi, *q_lo, *k_hi, *k_lo, *v_hi, *v_lo;
};

template <class C>
__device__ fused_tiles tiles_at(bf16* x) {
    fused_tiles t;
    t.q_hi = x;
    x += C::q_elems;
    t.q_lo = C::lo ? x : t.q_hi;  // never read without lo
    x += C::lo ? C::q_elems : 0;
    t.k_hi = x;
    x += C::q_elems;
    t.k_lo = C::lo ? x : t.k_hi;
    x += C::lo ? C::q_elems : 0;
    t.v_hi = x;
    x += C::v_elems;
    t.v_lo = C::lo ? x : t.v_hi;
    return t;
}

__device__ __forceinline__ void cp_async_wait_one() {  // all but the most recent group done
    asm volatile("cp.async.wait_group 1;\n" ::);
}

constexpr int k_fz_threads = 32 * k_fz_warps;

// Rows of tokens [t0, t0 + k_step) of one part (q, k or the v slice; CHUNKS 16-byte chunks a row, a power of two)
// from src (row stride p.ld) by cp.async, zero-filled past n: into a tile (row stride tile_ld) in exact mode, into
// the staging area at column stage_col in lo mode (as raw In).
template <class C, int CHUNKS, typename In>
__device__ void copy_rows(const lightning_params& p, const In* src, int64_t t0, bf16* tile, int tile_ld, In* staging,
                          int stage_col) {
    constexpr int E = 16 / int(sizeof(In));  // elements per chunk
    for (int x = threadIdx.x; x < k_step * CHUNKS; x += k_fz_threads) {
        const int r = x / CHUNKS, c = (x % CHUNKS) * E;
        const int64_t tok = t0 + r;
        const bool valid = tok < p.n;
        void* dst;
        if constexpr (C::lo)
            dst = staging + r * C::W + stage_col + c;
        else
            dst = tile + r * tile_ld + c;
        cp_async16(dst, src + (valid ? tok : 0) * p.ld + c, valid);
    }
}

// The raw q | k | v-slice rows of the step starting at t0: into the tile set t (exact mode: In is bf16 and the tiles
// take the bytes as they are) or into the staging area (lo mode).
template <class C, int D, int DV, typename In>
__device__ void issue_step_copy(const lightning_params& p, int64_t h, int64_t c0, int64_t t0, const fused_tiles& t,
                                In* staging) {
    constexpr int E = 16 / int(sizeof(In));
    const int64_t head = h * p.head_stride;
    copy_rows<C, D / E>(p, input<In>(p, 0) + head, t0, t.q_hi, C::LDQ, staging, 0);
    copy_rows<C, D / E>(p, input<In>(p, 1) + head, t0, t.k_hi, C::LDQ, staging, D);
    copy_rows<C, DV / E>(p, input<In>(p, 2) + head + c0, t0, t.v_hi, C::LDV, staging, 2 * D);
}

// lo mode: one part's staged raw rows (WIDTH columns from stage_col) → hi + lo tiles, SiLU applied first if asked.
template <class C, int WIDTH, typename In, bool SILU>
__device__ void convert_rows(const In* staging, int stage_col, bf16* hi, bf16* lo, int tile_ld) {
    constexpr int PAIRS = WIDTH / 2;
    for (int x = threadIdx.x; x < k_step * PAIRS; x += k_fz_threads) {
        const int r = x / PAIRS, c = (x % PAIRS) * 2;
        const In* src = staging + r * C::W + stage_col + c;
        float2 f;
        if constexpr (sizeof(In) == 4)
            f = *reinterpret_cast<const float2*>(src);
        else
            f = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(src));
        if constexpr (SILU) {
            f.x = silu_f(f.x);
            f.y = silu_f(f.y);
        }
        uint32_t h2, l2;
        split_pack(f.x, f.y, h2, l2);
        *reinterpret_cast<uint32_t*>(hi + r * tile_ld + c) = h2;
        *reinterpret_cast<uint32_t*>(lo + r * tile_ld + c) = l2;
    }
}

template <class C, int D, int DV, typename In, bool SILU>
__device__ void convert_step(const In* staging, const fused_tiles& t) {
    convert_rows<C, D, In, SILU>(staging, 0, t.q_hi, t.q_lo, C::LDQ);
    convert_rows<C, D, In, SILU>(staging, D, t.k_hi, t.k_lo, C::LDQ);
    convert_rows<C, DV, In, SILU>(staging, 2 * D, t.v_hi, t.v_lo, C::LDV);
}

// One step's outputs, O = diag(λ^(j+1)) Q S + ((Q Kᵀ) ⊙ M) V, for the warp's 16 queries of row group OROW and
// its DV/2 slice columns from oc. OROW is a template argument so that the causal loops over key tiles unroll into
// straight-line code: with a run-time row group every key tile was a branch (and a warp re-convergence) between
// the tensor-core products, which the scheduler could then not overlap.
template <class C, int D, int DV, int OROW>
__device__ __forceinline__ void fused_output(const lightning_params& p, const fused_tiles& t, const bf16* s_hi,
                                             const bf16* s_lo, const float* pw, int m, int64_t t0, int64_t h,
                                             int64_t c0, int oc) {
    constexpr bool LO = C::lo;
    constexpr int LDQ = C::LDQ, LDV = C::LDV, orow = OROW;
    const int lane = threadIdx.x % 32, g = lane / 4, tq = lane % 4;
    const int j0 = orow * 16 + g, j1 = j0 + 8;
    float o[C::ON][4], sc[4][2][4];
#pragma unroll
    for (int nt = 0; nt < C::ON; ++nt) o[nt][0] = o[nt][1] = o[nt][2] = o[nt][3] = 0.0f;
#pragma unroll
    for (int kt = 0; kt < 4; ++kt)
#pragma unroll
        for (int nt = 0; nt < 2; ++nt) sc[kt][nt][0] = sc[kt][nt][1] = sc[kt][nt][2] = sc[kt][nt][3] = 0.0f;
#pragma unroll
    for (int ks = 0; ks < D / 16; ++ks) {
        uint32_t qa[4], ql[4];
        const int qoff = (orow * 16 + lane % 16) * LDQ + ks * 16 + (lane / 16) * 8;
        ldmatrix_x4(qa, t.q_hi + qoff);
        if constexpr (LO) ldmatrix_x4(ql, t.q_lo + qoff);
#pragma unroll
        for (int np = 0; np < C::ON / 2; ++np) {  // Q·S (S as B: rows = key dims, via .trans)
            uint32_t bh[4], bl[4] = {};
            const int off = (ks * 16 + lane % 8 + 8 * ((lane / 8) % 2)) * LDV + oc + np * 16 + 8 * (lane / 16);
            ldmatrix_x4_trans(bh, s_hi + off);
            ldmatrix_x4_trans(bl, s_lo + off);
            mma_parts<LO, true>(o[2 * np], qa, ql, bh[0], bh[1], bl[0], bl[1]);
            mma_parts<LO, true>(o[2 * np + 1], qa, ql, bh[2], bh[3], bl[2], bl[3]);
        }
#pragma unroll
        for (int kt = 0; kt < 4; ++kt) {  // Q·Kᵀ for the key tiles up to the diagonal
            if (kt > orow) break;
            uint32_t bh[4], bl[4] = {};
            const int off = (kt * 16 + lane % 8 + 8 * (lane / 16)) * LDQ + ks * 16 + 8 * ((lane / 8) % 2);
            ldmatrix_x4(bh, t.k_hi + off);
            if constexpr (LO) ldmatrix_x4(bl, t.k_lo + off);
            mma_parts<LO, LO>(sc[kt][0], qa, ql, bh[0], bh[1], bl[0], bl[1]);
            mma_parts<LO, LO>(sc[kt][1], qa, ql, bh[2], bh[3], bl[2], bl[3]);
        }
    }
    const float d0 = j0 < m ? pw[j0 + 1] : 0.0f, d1 = j1 < m ? pw[j1 + 1] : 0.0f;
#pragma unroll
    for (int nt = 0; nt < C::ON; ++nt) {
        o[nt][0] *= d0;
        o[nt][1] *= d0;
        o[nt][2] *= d1;
        o[nt][3] *= d1;
    }
#pragma unroll
    for (int kt = 0; kt < 4; ++kt) {
        if (kt > orow) break;
        uint32_t ph[4], pl[4];  // P = decayed, masked scores as the A operand (hi + lo)
#pragma unroll
        for (int x = 0; x < 4; ++x) {
            float* pair = sc[kt][x / 2] + 2 * (x % 2);  // x: (row g | g + 8) × (keys 0-7 | 8-15)
            const int q = x % 2 ? j1 : j0, key = kt * 16 + (x / 2) * 8 + 2 * tq;
            const float e0 = key <= q && q < m ? pw[q - key] : 0.0f;
            const float e1 = key + 1 <= q && q < m ? pw[q - key - 1] : 0.0f;
            split_pack(pair[0] * e0, pair[1] * e1, ph[x], pl[x]);
        }
#pragma unroll
        for (int np = 0; np < C::ON / 2; ++np) {
            uint32_t bh[4], bl[4] = {};
            const int off = (kt * 16 + lane % 8 + 8 * ((lane / 8) % 2)) * LDV + oc + np * 16 + 8 * (lane / 16);
            ldmatrix_x4_trans(bh, t.v_hi + off);
            if constexpr (LO) ldmatrix_x4_trans(bl, t.v_lo + off);
            mma_parts<true, LO>(o[2 * np], ph, pl, bh[0], bh[1], bl[0], bl[1]);
            mma_parts<true, LO>(o[2 * np + 1], ph, pl, bh[2], bh[3], bl[2], bl[3]);
        }
    }
#pragma unroll
    for (int r2 = 0; r2 < 2; ++r2) {
        const int j = r2 ? j1 : j0;
        if (j >= m) continue;
        const int64_t base = (t0 + j) * p.ldo + h * D + c0 + oc + 2 * tq;
#pragma unroll
        for (int nt = 0; nt < C::ON; ++nt) {
            if (p.o16)
                *reinterpret_cast<__nv_bfloat162*>(p.o16 + base + nt * 8) =
                    __floats2bfloat162_rn(o[nt][2 * r2], o[nt][2 * r2 + 1]);
            else
                *reinterpret_cast<float2*>(p.o + base + nt * 8) = make_float2(o[nt][2 * r2], o[nt][2 * r2 + 1]);
        }
    }
}

// grid (D / DV value slices, heads), k_fz_warps warps. See the section comment for the roles of the warps.
template <int D, int DV, typename In, bool SILU, int MIN_CTAS>
__global__ void __launch_bounds__(k_fz_threads, MIN_CTAS) fused_kernel(lightning_params p) {
    using C = fused_cfg<D, DV, In, SILU>;
    constexpr bool LO = C::lo;
    constexpr int LDQ = C::LDQ, LDV = C::LDV;
    extern __shared__ __align__(16) unsigned char smem[];
    bf16* tiles = reinterpret_cast<bf16*>(smem);
    bf16* s_hi = tiles + C::stages * C::stage_elems;  // the state before the step (D × DV), B operand of Q·S
    bf16* s_lo = s_hi + C::s_elems;
    In* staging = reinterpret_cast<In*>(smem + C::tiles_bytes);
    float* pw = reinterpret_cast<float*>(smem + C::tiles_bytes + C::staging_bytes);  // λ^t, t in [0, k_step]

    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane / 4, tq = lane % 4;
    const int64_t c0 = int64_t(blockIdx.x) * DV, h = blockIdx.y;
    for (int x = threadIdx.x; x <= k_step; x += blockDim.x) pw[x] = p.pw[h * (p.block + 1) + x];

    // update role: state rows (key dims) [ur, ur + 16), slice columns [uc, uc + UW), as mma accumulator tiles
    const int ur = 16 * (warp % C::RG), uc = C::UW * (warp / C::RG);
    float* state = p.state + h * D * D + c0;
    float S[C::UN][4];
#pragma unroll
    for (int nt = 0; nt < C::UN; ++nt)
#pragma unroll
        for (int e = 0; e < 4; ++e) S[nt][e] = state[(ur + g + 8 * (e / 2)) * D + uc + nt * 8 + 2 * tq + e % 2];
    // output role: queries [16·orow, +16) of the step, slice columns [oc, oc + DV/2). Row group orow multiplies
    // orow + 1 key tiles (causal), so warps w and w + 4, which share a scheduler, take row groups r and 3 − r: the
    // same work on every scheduler (with orow = w % 4 the fourth had both of the last groups).
    static_assert(k_fz_warps == 8, "fused lightning: the row groups pair up over eight warps");
    const int orow = warp < 4 ? warp : 7 - warp, oc = (DV / 2) * (warp / 4);

    const int64_t steps = (p.n + k_step - 1) / k_step;
    issue_step_copy<C, D, DV, In>(p, h, c0, 0, tiles_at<C>(tiles), staging);
    cp_async_commit();
    for (int64_t st = 0; st < steps; ++st) {
        const int64_t t0 = st * k_step;
        const int m = int(min(int64_t(k_step), p.n - t0));
        const fused_tiles t = tiles_at<C>(tiles + (LO ? 0 : int(st & 1) * C::stage_elems));
        // the state before this step → shared memory as hi + lo (the previous step's readers are done)
#pragma unroll
        for (int nt = 0; nt < C::UN; ++nt)
#pragma unroll
            for (int r2 = 0; r2 < 2; ++r2) {
                const int off = (ur + g + 8 * r2) * LDV + uc + nt * 8 + 2 * tq;
                uint32_t hi, lo;
                split_pack(S[nt][2 * r2], S[nt][2 * r2 + 1], hi, lo);
                *reinterpret_cast<uint32_t*>(s_hi + off) = hi;
                *reinterpret_cast<uint32_t*>(s_lo + off) = lo;
            }
        if constexpr (LO) {
            cp_async_wait_all();
            __syncthreads();  // staging holds this step
            convert_step<C, D, DV, In, SILU>(staging, t);
            __syncthreads();  // tiles ready, staging free
            if (st + 1 < steps) issue_step_copy<C, D, DV, In>(p, h, c0, t0 + k_step, t, staging);
            cp_async_commit();
        } else {
            if (st + 1 < steps)
                issue_step_copy<C, D, DV, In>(p, h, c0, t0 + k_step,
                                              tiles_at<C>(tiles + int((st + 1) & 1) * C::stage_elems), staging);
            cp_async_commit();
            cp_async_wait_one();
            __syncthreads();  // this step's tiles and the state tile are visible
        }

        // ---- output (no barrier inside: the switch on the warp's row group is uniform within the warp)
        switch (orow) {
        case 0:
            fused_output<C, D, DV, 0>(p, t, s_hi, s_lo, pw, m, t0, h, c0, oc);
            break;
        case 1:
            fused_output<C, D, DV, 1>(p, t, s_hi, s_lo, pw, m, t0, h, c0, oc);
            break;
        case 2:
            fused_output<C, D, DV, 2>(p, t, s_hi, s_lo, pw, m, t0, h, c0, oc);
            break;
        default:
            fused_output<C, D, DV, 3>(p, t, s_hi, s_lo, pw, m, t0, h, c0, oc);
        }

        // ---- update: S = λ^m S + (diag(λ^(m−1−i)) K)ᵀ V. The step's sum goes into fresh accumulators and joins S
        // through an fp32 FMA (round to nearest): accumulating every step into a large S on the tensor cores drifted
        // to 1.2e-4 of the state after 90,000 tokens of a slow head, likely their fp32 adds' truncation.
        {
            const float lm = pw[m];
            float dS[C::UN][4];
#pragma unroll
            for (int nt = 0; nt < C::UN; ++nt) dS[nt][0] = dS[nt][1] = dS[nt][2] = dS[nt][3] = 0.0f;
#pragma unroll
            for (int ks = 0; ks < k_step / 16; ++ks) {
                uint32_t kh[4], kl[4], ah[4], al[4];  // Kᵀ: rows = key dims, columns = tokens (.trans)
                const int aoff = (ks * 16 + 8 * (lane / 16) + lane % 8) * LDQ + ur + 8 * ((lane / 8) % 2);
                ldmatrix_x4_trans(kh, t.k_hi + aoff);
                if constexpr (LO) ldmatrix_x4_trans(kl, t.k_lo + aoff);
#pragma unroll
                for (int x = 0; x < 4; ++x) {  // register x holds tokens i, i + 1 (columns of the fragment)
                    const int i = ks * 16 + (x / 2) * 8 + 2 * tq;
                    const float e0 = i < m ? pw[m - 1 - i] : 0.0f, e1 = i + 1 < m ? pw[m - 2 - i] : 0.0f;
                    float2 f = unpack_bf16(kh[x]);
                    if constexpr (LO) {
                        const float2 fl = unpack_bf16(kl[x]);
                        f.x += fl.x;
                        f.y += fl.y;
                    }
                    split_pack(f.x * e0, f.y * e1, ah[x], al[x]);
                }
#pragma unroll
                for (int np = 0; np < C::UN / 2; ++np) {
                    uint32_t bh[4], bl[4] = {};
                    const int off = (ks * 16 + lane % 8 + 8 * ((lane / 8) % 2)) * LDV + uc + np * 16 + 8 * (lane / 16);
                    ldmatrix_x4_trans(bh, t.v_hi + off);
                    if constexpr (LO) ldmatrix_x4_trans(bl, t.v_lo + off);
                    mma_parts<true, LO>(dS[2 * np], ah, al, bh[0], bh[1], bl[0], bl[1]);
                    mma_parts<true, LO>(dS[2 * np + 1], ah, al, bh[2], bh[3], bl[2], bl[3]);
                }
            }
#pragma unroll
            for (int nt = 0; nt < C::UN; ++nt)
#pragma unroll
                for (int e = 0; e < 4; ++e) S[nt][e] = fmaf(lm, S[nt][e], dS[nt][e]);
        }
        __syncthreads();  // the tiles and the state tile are used up
    }
#pragma unroll
    for (int nt = 0; nt < C::UN; ++nt)
#pragma unroll
        for (int e = 0; e < 4; ++e) state[(ur + g + 8 * (e / 2)) * D + uc + nt * 8 + 2 * tq + e % 2] = S[nt][e];
}

}  // namespace

int64_t lightning_scratch_floats(int64_t n, int64_t n_heads, int64_t d, int64_t block) {
    if ((d == 64 || d == 128) && block >= k_step) return 0;  // the fused kernel
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

template <int D, typename In, bool SILU>
cudaError_t launch_fused(const lightning_params& p, cudaStream_t s) {
    // Value slices per head: 2 (64 heads → 128 CTAs on the H200's 132 SMs, one each); exact-mode tiles are small
    // enough for k_exact_slices = 4 (256 CTAs, two per SM), which measured slower, so it stays at 2.
    constexpr bool lo = SILU || sizeof(In) == 4;
    constexpr int slices = D == 128 && !lo ? k_exact_slices : 2, DV = D / slices, min_ctas = slices == 4 ? 2 : 1;
    using C = fused_cfg<D, DV, In, SILU>;
    auto kernel = fused_kernel<D, DV, In, SILU, min_ctas>;
    if (cudaError_t e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(C::smem_bytes));
        e != cudaSuccess)
        return e;
    kernel<<<dim3(slices, unsigned(p.n_heads)), k_fz_threads, C::smem_bytes, s>>>(p);
    return cudaGetLastError();
}

template <int D>
cudaError_t launch_fused_d(const lightning_params& p, cudaStream_t s) {
    if (p.q16) return p.silu ? launch_fused<D, bf16, true>(p, s) : launch_fused<D, bf16, false>(p, s);
    return p.silu ? launch_fused<D, float, true>(p, s) : launch_fused<D, float, false>(p, s);
}

bool per_block_supported(const lightning_params& p) {
    return (p.d == 16 || p.d == 32 || p.d == 64 || p.d == 128) && p.block > 0 && p.scratch && p.q && p.o &&
           !p.q16 && !p.o16 && !p.silu && p.ld % 2 == 0 && p.head_stride % 2 == 0 && p.ldo % 2 == 0;
}

}  // namespace

bool lightning_fused_supported(const lightning_params& p) {
    const bool b16 = p.q16 != nullptr;
    const int64_t e = b16 ? 8 : 4;  // elements per 16-byte cp.async chunk
    const bool inputs = b16 ? p.k16 && p.v16 && aligned(p.q16, 16) && aligned(p.k16, 16) && aligned(p.v16, 16)
                            : p.q && p.k && p.v && aligned(p.q, 16) && aligned(p.k, 16) && aligned(p.v, 16);
    return (p.d == 64 || p.d == 128) && p.block >= k_step && inputs && p.ld % e == 0 && p.head_stride % e == 0 &&
           (p.o || p.o16) && p.ldo % 2 == 0 && p.state && p.pw && p.n_heads > 0 && p.n_heads <= 65535;
}

bool lightning_prefill_supported(const lightning_params& p) {
    return lightning_fused_supported(p) || per_block_supported(p);
}

cudaError_t launch_lightning_prefill(const lightning_params& p, cudaStream_t s) {
    if (p.n == 0) return cudaSuccess;
    if (lightning_hopper_supported(p)) return launch_lightning_hopper(p, s);
    if (lightning_fused_supported(p)) return p.d == 64 ? launch_fused_d<64>(p, s) : launch_fused_d<128>(p, s);
    if (!per_block_supported(p)) return cudaErrorInvalidValue;
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
    const dim3 grid(unsigned(p.n_heads), unsigned((p.d + k_dec_cols - 1) / k_dec_cols));
    const size_t smem = size_t(3 * p.d + k_dec_groups * k_dec_cols) * sizeof(float);
    decode_kernel<<<grid, k_dec_cols * k_dec_groups, smem, s>>>(p);
    return cudaGetLastError();
}

}  // namespace m1::cuda
