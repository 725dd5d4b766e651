// The tiled (flash-style) causal GQA attention for prefill over a bf16 KV cache: tensor cores through WMMA
// (bf16 × bf16 → fp32), online softmax in fp32, one CTA per 64 queries × head, 4 warps of 16 queries each,
// key tiles of 64 staged in shared memory with 16-byte loads. Queries are rounded to bf16 (after the 1/√d scale)
// and so are the softmax weights P before P·V: the fast precision's accuracy (about 3e-3 relative), not the
// reference's. Written for correctness first; the performance issue replaces it with wgmma / TMA versions.
#include "engine/cuda/cuda_attention.cuh"

#include <mma.h>

namespace m1::cuda {

namespace {

namespace wmma = nvcuda::wmma;

constexpr int k_tq = 64;    // queries per CTA
constexpr int k_tk = 64;    // keys per tile
constexpr int k_warps = 4;  // 16 queries each
constexpr int k_threads = 32 * k_warps;

template <int D>
struct layout {
    static constexpr int ldq = D + 8;     // bf16 rows: +16 bytes against bank conflicts (wmma: ldm % 8 == 0)
    static constexpr int lds = k_tk + 4;  // fp32 scores (ldm % 4 == 0)
    static constexpr int ldp = k_tk + 8;  // bf16 probabilities
    static constexpr int ldo = D + 4;     // fp32 output accumulators
    static constexpr size_t q_off = 0;
    static constexpr size_t k_off = q_off + size_t(k_tq) * ldq * 2;
    static constexpr size_t v_off = k_off + size_t(k_tk) * ldq * 2;
    static constexpr size_t s_off = v_off + size_t(k_tk) * ldq * 2;
    static constexpr size_t p_off = s_off + size_t(k_warps) * 16 * lds * 4;
    static constexpr size_t o_off = p_off + size_t(k_warps) * 16 * ldp * 2;
    static constexpr size_t stat_off = o_off + size_t(k_warps) * 16 * ldo * 4;
    static constexpr size_t bytes = stat_off + size_t(3) * k_tq * 4;  // running max, sum, rescale per query
};

template <int D>
__global__ void __launch_bounds__(k_threads) attention_tiled_kernel(attention_params p) {
    using L = layout<D>;
    extern __shared__ __align__(16) unsigned char smem[];
    bf16* Qs = reinterpret_cast<bf16*>(smem + L::q_off);
    bf16* Ks = reinterpret_cast<bf16*>(smem + L::k_off);
    bf16* Vs = reinterpret_cast<bf16*>(smem + L::v_off);
    float* run_max = reinterpret_cast<float*>(smem + L::stat_off);
    float* run_sum = run_max + k_tq;
    float* rescale = run_sum + k_tq;
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    float* Sw = reinterpret_cast<float*>(smem + L::s_off) + warp * 16 * L::lds;
    bf16* Pw = reinterpret_cast<bf16*>(smem + L::p_off) + warp * 16 * L::ldp;
    float* Ow = reinterpret_cast<float*>(smem + L::o_off) + warp * 16 * L::ldo;

    const int64_t q0 = int64_t(blockIdx.x) * k_tq, h = blockIdx.y;
    const int64_t group = p.n_heads / p.n_kv_heads, KV = p.n_kv_heads * D;
    const bf16* K = static_cast<const bf16*>(p.k_cache) + (h / group) * D;
    const bf16* V = static_cast<const bf16*>(p.v_cache) + (h / group) * D;
    const int64_t q_end = min(p.n, q0 + k_tq);
    const int64_t keys = p.pos0 + q_end;  // the tile's last query sees keys [0, keys)

    for (int x = threadIdx.x; x < k_tq * D; x += k_threads) {
        const int r = x / D, c = x % D;
        const float v = q0 + r < p.n ? p.q[(q0 + r) * p.ld_q + h * D + c] * p.scale : 0.0f;
        Qs[r * L::ldq + c] = __float2bfloat16(v);
    }
    for (int x = lane; x < 16 * D; x += 32) Ow[(x / D) * L::ldo + x % D] = 0.0f;
    if (threadIdx.x < k_tq) {
        run_max[threadIdx.x] = -INFINITY;
        run_sum[threadIdx.x] = 0.0f;
    }
    // Softmax bookkeeping: lane pair (2r, 2r+1) owns query row r of this warp, 32 key columns each.
    const int row = lane / 2, half = lane % 2;
    const int64_t qt = q0 + warp * 16 + row;  // query index in the call
    const bool row_valid = qt < p.n;
    const int64_t qpos = p.pos0 + qt;

    for (int64_t k0 = 0; k0 < keys; k0 += k_tk) {
        __syncthreads();               // previous tile fully used (and Q / stats written on the first pass)
        constexpr int chunks = D / 8;  // 16-byte pieces per row
        for (int x = threadIdx.x; x < k_tk * chunks; x += k_threads) {
            const int r = x / chunks, c = (x % chunks) * 8;
            uint4 kv = make_uint4(0, 0, 0, 0), vv = make_uint4(0, 0, 0, 0);
            if (k0 + r < keys) {
                kv = *reinterpret_cast<const uint4*>(K + (k0 + r) * KV + c);
                vv = *reinterpret_cast<const uint4*>(V + (k0 + r) * KV + c);
            }
            *reinterpret_cast<uint4*>(Ks + r * L::ldq + c) = kv;
            *reinterpret_cast<uint4*>(Vs + r * L::ldq + c) = vv;
        }
        __syncthreads();

        // S (16 × 64) = Q_w · Kᵀ
        for (int nt = 0; nt < k_tk / 16; ++nt) {
            wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
            wmma::fill_fragment(acc, 0.0f);
            for (int kk = 0; kk < D / 16; ++kk) {
                wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major> a;
                wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::col_major> b;
                wmma::load_matrix_sync(a, Qs + (warp * 16) * L::ldq + kk * 16, L::ldq);
                wmma::load_matrix_sync(b, Ks + (nt * 16) * L::ldq + kk * 16, L::ldq);
                wmma::mma_sync(acc, a, b, acc);
            }
            wmma::store_matrix_sync(Sw + nt * 16, acc, L::lds, wmma::mem_row_major);
        }
        __syncwarp();

        // online softmax of this tile's 64 columns for row `row`, 32 per lane
        float mx = -INFINITY;
        for (int c = half * 32; c < half * 32 + 32; ++c)
            if (row_valid && k0 + c <= qpos) mx = fmaxf(mx, Sw[row * L::lds + c]);
        mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
        const float old_max = run_max[warp * 16 + row];
        const float new_max = fmaxf(old_max, mx);
        const bool any = new_max != -INFINITY;
        float sum = 0;
        for (int c = half * 32; c < half * 32 + 32; ++c) {
            const bool ok = any && row_valid && k0 + c <= qpos;
            const bf16 pb = __float2bfloat16(ok ? expf(Sw[row * L::lds + c] - new_max) : 0.0f);
            Pw[row * L::ldp + c] = pb;
            sum += __bfloat162float(pb);  // normalise by what P·V actually multiplies
        }
        sum += __shfl_xor_sync(0xffffffffu, sum, 1);
        const float alpha = any ? expf(old_max - new_max) : 1.0f;  // 0 on the first tile that has a key
        __syncwarp();
        if (half == 0) {
            run_max[warp * 16 + row] = new_max;
            run_sum[warp * 16 + row] = run_sum[warp * 16 + row] * alpha + sum;
            rescale[warp * 16 + row] = alpha;
        }
        __syncwarp();
        for (int x = lane; x < 16 * D; x += 32) Ow[(x / D) * L::ldo + x % D] *= rescale[warp * 16 + x / D];
        __syncwarp();

        // O_w (16 × D) += P_w (16 × 64) · V (64 × D)
        for (int dt = 0; dt < D / 16; ++dt) {
            wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
            wmma::load_matrix_sync(acc, Ow + dt * 16, L::ldo, wmma::mem_row_major);
            for (int kk = 0; kk < k_tk / 16; ++kk) {
                wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major> a;
                wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::row_major> b;
                wmma::load_matrix_sync(a, Pw + kk * 16, L::ldp);
                wmma::load_matrix_sync(b, Vs + (kk * 16) * L::ldq + dt * 16, L::ldq);
                wmma::mma_sync(acc, a, b, acc);
            }
            wmma::store_matrix_sync(Ow + dt * 16, acc, L::ldo, wmma::mem_row_major);
        }
        __syncwarp();
    }
    __syncwarp();
    for (int x = lane; x < 16 * D; x += 32) {
        const int r = x / D, c = x % D;
        const int64_t t = q0 + warp * 16 + r;
        if (t < p.n) p.o[t * p.n_heads * D + h * D + c] = Ow[r * L::ldo + c] / run_sum[warp * 16 + r];
    }
}

template <int D>
cudaError_t launch_d(const attention_params& p, cudaStream_t s) {
    const size_t bytes = layout<D>::bytes;
    if (cudaError_t e =
            cudaFuncSetAttribute(attention_tiled_kernel<D>, cudaFuncAttributeMaxDynamicSharedMemorySize, int(bytes));
        e != cudaSuccess)
        return e;
    const dim3 grid(unsigned((p.n + k_tq - 1) / k_tq), unsigned(p.n_heads));
    attention_tiled_kernel<D><<<grid, k_threads, bytes, s>>>(p);
    return cudaGetLastError();
}

}  // namespace

bool attention_tiled_supported(const attention_params& p) {
    return !p.kv_f32 && (p.d == 16 || p.d == 32 || p.d == 64 || p.d == 128) && p.n_kv_heads > 0 &&
           p.n_heads % p.n_kv_heads == 0;
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
