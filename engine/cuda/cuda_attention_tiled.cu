// The tiled (flash-style) causal GQA attention for prefill over a bf16 KV cache, in the manner of FlashAttention-2:
// one CTA per 128 queries × head, 8 warps of 16 queries each; key/value tiles of 64 rows stream through shared
// memory with cp.async (double-buffered: the next tile loads while this one is used); S = Q·Kᵀ and O += P·V run on
// the tensor cores through mma.sync m16n8k16 (bf16 × bf16 → fp32), with S, P and O held in registers (the
// accumulator fragment of S is, pair by pair, the A fragment of P·V, so P never touches shared memory); online
// softmax in fp32 with exp2; per-thread partial row sums reduced across the quad once at the end.
//
// Accuracy: queries are rounded to bf16 after the 1/√d scale and the softmax weights P to bf16 before P·V, as
// FlashAttention's bf16 path does: the fast precision's accuracy (a few 1e-3 relative), not the reference's.
//
// Work order (cuda_attention_order.cuh, shared with the Hopper kernel): CTAs are numbered so that the query heads
// sharing one KV head are adjacent (they stream the same keys at about the same time, so the second to eighth read
// them from L2), and the last query blocks come first (under the causal mask they have the most keys, and starting
// them first evens out the tail of the grid).
#include "engine/cuda/cuda_attention.cuh"
#include "engine/cuda/cuda_attention_order.cuh"
#include "engine/cuda/cuda_mma.cuh"

#include <cstdint>

namespace m1::cuda {

namespace {

using namespace mma;

constexpr int k_bq = 128;   // queries per CTA
constexpr int k_bk = 64;    // keys per tile
constexpr int k_warps = 8;  // 16 queries each
constexpr int k_threads = 32 * k_warps;
constexpr float k_log2e = 1.4426950408889634f;

template <int D>
struct flash_layout {
    static constexpr int ld = D + 8;  // bf16 row stride: rows start 4 banks apart, so ldmatrix is conflict-free
    static constexpr int q_elems = k_bq * ld;
    static constexpr int kv_elems = k_bk * ld;
    static constexpr size_t bytes = size_t(q_elems + 4 * kv_elems) * sizeof(bf16);  // Q, K[2], V[2]
};

// Fragment layouts: cuda_mma.cuh.
template <int D>
__global__ void __launch_bounds__(k_threads, 1) attention_flash_kernel(attention_params p) {
    using L = flash_layout<D>;
    extern __shared__ __align__(16) unsigned char smem[];
    bf16* Qs = reinterpret_cast<bf16*>(smem);
    bf16* Ks = Qs + L::q_elems;       // [2][k_bk][ld]
    bf16* Vs = Ks + 2 * L::kv_elems;  // [2][k_bk][ld]
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;

    const attention_block blk = attention_block_of(blockIdx.x, p.n, p.n_heads, p.n_kv_heads, k_bq);
    const int64_t h = blk.h, kvh = blk.kvh, q0 = blk.qb * k_bq;
    const int64_t KV = p.n_kv_heads * D;
    const bf16* K = static_cast<const bf16*>(p.k_cache) + kvh * D;
    const bf16* V = static_cast<const bf16*>(p.v_cache) + kvh * D;
    const int64_t q_end = min(p.n, q0 + k_bq);
    const int64_t keys = p.pos0 + q_end;  // the block's last query sees keys [0, keys)
    const int64_t n_tiles = (keys + k_bk - 1) / k_bk;

    constexpr int chunks = D / 8;  // 16-byte pieces per row
    const auto load_tile = [&](int64_t tile, int buf) {
        const int64_t k0 = tile * k_bk;
        bf16* kd = Ks + buf * L::kv_elems;
        bf16* vd = Vs + buf * L::kv_elems;
        for (int x = threadIdx.x; x < k_bk * chunks; x += k_threads) {
            const int r = x / chunks, c = (x % chunks) * 8;
            const bool ok = k0 + r < keys;
            const int64_t row = ok ? k0 + r : 0;  // a valid address even where nothing is read
            cp_async16(kd + r * L::ld + c, K + row * KV + c, ok);
            cp_async16(vd + r * L::ld + c, V + row * KV + c, ok);
        }
        cp_async_commit();
    };
    load_tile(0, 0);

    for (int x = threadIdx.x; x < k_bq * D; x += k_threads) {
        const int r = x / D, c = x % D;
        const float v = q0 + r < p.n ? p.q[(q0 + r) * p.ld_q + h * D + c] * p.scale : 0.0f;
        Qs[r * L::ld + c] = __float2bfloat16(v);
    }
    __syncthreads();
    // This warp's 16 query rows as A fragments, one per 16 columns of d: matrices (rows 0-7 | 8-15) × (cols 0-7 | 8-15).
    uint32_t qf[D / 16][4];
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk)
        ldmatrix_x4(qf[kk], Qs + (warp * 16 + lane % 16) * L::ld + kk * 16 + (lane / 16) * 8);

    float o[D / 8][4];
#pragma unroll
    for (int dt = 0; dt < D / 8; ++dt) o[dt][0] = o[dt][1] = o[dt][2] = o[dt][3] = 0.0f;
    float m_run[2] = {-INFINITY, -INFINITY}, l_run[2] = {0.0f, 0.0f};
    const int64_t qpos[2] = {p.pos0 + q0 + warp * 16 + lane / 4, p.pos0 + q0 + warp * 16 + lane / 4 + 8};
    const int64_t warp_first = p.pos0 + q0 + warp * 16, warp_last = warp_first + 15;

    for (int64_t t = 0; t < n_tiles; ++t) {
        cp_async_wait_all();
        __syncthreads();  // tile t landed for everyone, and everyone is done with tile t - 1's buffer
        if (t + 1 < n_tiles) load_tile(t + 1, int((t + 1) & 1));
        const int64_t k0 = t * k_bk;
        if (k0 > warp_last) continue;  // every key of the tile lies after this warp's queries
        const bf16* kb = Ks + (t & 1) * L::kv_elems;
        const bf16* vb = Vs + (t & 1) * L::kv_elems;

        // S (16 × 64) = Q · Kᵀ. K rows are Kᵀ's columns: plain ldmatrix gives B fragments; one x4 covers 16 keys ×
        // 16 of d, i.e. two 8-key tiles of one k-step.
        float s[k_bk / 8][4];
#pragma unroll
        for (int j = 0; j < k_bk / 8; ++j) s[j][0] = s[j][1] = s[j][2] = s[j][3] = 0.0f;
#pragma unroll
        for (int kk = 0; kk < D / 16; ++kk)
#pragma unroll
            for (int j = 0; j < k_bk / 16; ++j) {
                uint32_t b[4];
                ldmatrix_x4(b, kb + (j * 16 + lane % 8 + 8 * (lane / 16)) * L::ld + kk * 16 + 8 * ((lane / 8) % 2));
                mma_bf16(s[2 * j], qf[kk], b[0], b[1]);
                mma_bf16(s[2 * j + 1], qf[kk], b[2], b[3]);
            }

        if (k0 + k_bk - 1 > warp_first) {  // the diagonal (or the end of the keys) crosses this tile: mask
#pragma unroll
            for (int j = 0; j < k_bk / 8; ++j)
#pragma unroll
                for (int e = 0; e < 4; ++e) {
                    const int64_t key = k0 + j * 8 + 2 * (lane % 4) + (e % 2);
                    if (key > qpos[e / 2]) s[j][e] = -INFINITY;
                }
        }

        // Online softmax per row (rows r and r + 8): the four lanes of a quad share a row.
        float mx[2] = {m_run[0], m_run[1]};
#pragma unroll
        for (int j = 0; j < k_bk / 8; ++j) {
            mx[0] = fmaxf(mx[0], fmaxf(s[j][0], s[j][1]));
            mx[1] = fmaxf(mx[1], fmaxf(s[j][2], s[j][3]));
        }
        float alpha[2];
#pragma unroll
        for (int r = 0; r < 2; ++r) {
            mx[r] = fmaxf(mx[r], __shfl_xor_sync(0xffffffffu, mx[r], 1));
            mx[r] = fmaxf(mx[r], __shfl_xor_sync(0xffffffffu, mx[r], 2));
            const float base = mx[r] == -INFINITY ? 0.0f : mx[r] * k_log2e;  // a row with no key yet stays at 0
            alpha[r] = exp2f(m_run[r] * k_log2e - base);
            m_run[r] = mx[r];
            float sum = 0.0f;
#pragma unroll
            for (int j = 0; j < k_bk / 8; ++j) {
                s[j][2 * r] = exp2f(s[j][2 * r] * k_log2e - base);
                s[j][2 * r + 1] = exp2f(s[j][2 * r + 1] * k_log2e - base);
                sum += s[j][2 * r] + s[j][2 * r + 1];
            }
            l_run[r] = l_run[r] * alpha[r] + sum;  // this lane's share; the quad's shares are added at the end
        }
#pragma unroll
        for (int dt = 0; dt < D / 8; ++dt) {
            o[dt][0] *= alpha[0];
            o[dt][1] *= alpha[0];
            o[dt][2] *= alpha[1];
            o[dt][3] *= alpha[1];
        }

        // O (16 × D) += P (16 × 64) · V (64 × D). Two adjacent 8-key accumulator tiles of S form the A fragment of
        // one 16-key step; V rows are keys, so ldmatrix.trans gives its B fragments, two 8-wide d tiles per x4.
#pragma unroll
        for (int j = 0; j < k_bk / 16; ++j) {
            const uint32_t a[4] = {pack_bf16(s[2 * j][0], s[2 * j][1]), pack_bf16(s[2 * j][2], s[2 * j][3]),
                                   pack_bf16(s[2 * j + 1][0], s[2 * j + 1][1]),
                                   pack_bf16(s[2 * j + 1][2], s[2 * j + 1][3])};
#pragma unroll
            for (int dt = 0; dt < D / 16; ++dt) {
                uint32_t b[4];
                ldmatrix_x4_trans(b, vb + (j * 16 + lane % 8 + 8 * ((lane / 8) % 2)) * L::ld + dt * 16 + 8 * (lane / 16));
                mma_bf16(o[2 * dt], a, b[0], b[1]);
                mma_bf16(o[2 * dt + 1], a, b[2], b[3]);
            }
        }
    }

#pragma unroll
    for (int r = 0; r < 2; ++r) {
        l_run[r] += __shfl_xor_sync(0xffffffffu, l_run[r], 1);
        l_run[r] += __shfl_xor_sync(0xffffffffu, l_run[r], 2);
    }
    const int64_t row = q0 + warp * 16 + lane / 4;
#pragma unroll
    for (int r = 0; r < 2; ++r) {
        const int64_t t = row + 8 * r;
        if (t >= p.n) continue;
        const float inv = 1.0f / l_run[r];
        float* out = p.o + t * p.n_heads * D + h * D + 2 * (lane % 4);
#pragma unroll
        for (int dt = 0; dt < D / 8; ++dt)
            *reinterpret_cast<float2*>(out + dt * 8) = make_float2(o[dt][2 * r] * inv, o[dt][2 * r + 1] * inv);
    }
}

template <int D>
cudaError_t launch_d(const attention_params& p, cudaStream_t s) {
    const size_t bytes = flash_layout<D>::bytes;
    if (cudaError_t e =
            cudaFuncSetAttribute(attention_flash_kernel<D>, cudaFuncAttributeMaxDynamicSharedMemorySize, int(bytes));
        e != cudaSuccess)
        return e;
    const int64_t blocks = (p.n + k_bq - 1) / k_bq * p.n_heads;
    attention_flash_kernel<D><<<unsigned(blocks), k_threads, bytes, s>>>(p);
    return cudaGetLastError();
}

}  // namespace

bool attention_tiled_supported(const attention_params& p) {
    // float2 stores need an even row stride; the kernel's fragments need d to be a multiple of 16.
    return !p.kv_f32 && (p.d == 16 || p.d == 32 || p.d == 64 || p.d == 128) && p.n_kv_heads > 0 &&
           p.n_heads % p.n_kv_heads == 0 && (p.n_kv_heads * p.d) % 8 == 0 &&
           aligned(p.o, 8) && aligned(p.k_cache, 16) && aligned(p.v_cache, 16);
}

cudaError_t launch_attention_tiled(const attention_params& p, cudaStream_t s) {
    if (p.n == 0) return cudaSuccess;
    if (!attention_tiled_supported(p)) return cudaErrorInvalidValue;
    switch (p.d) {
    case 16:
        return launch_d<16>(p, s);
    case 32:
        return launch_d<32>(p, s);
    case 64:
        return launch_d<64>(p, s);
    default:
        return launch_d<128>(p, s);
    }
}

}  // namespace m1::cuda
