// Lightning attention prefill for Hopper (sm_90a): the fused kernel's math (cuda_lightning.cu, "fused prefill") on
// wgmma with TMA loads and warp specialisation, for the mode M1's fast prefill uses: d = 128, bf16 q/k/v without
// SiLU (exact in bf16, so one part each), bf16 or fp32 output.
//
// One CTA per (64-column value slice, head), two warpgroups, walking the call in steps of 64 tokens:
//   loads     thread 0 streams each step's Q (64 × 128), K (64 × 128) and V slice (64 × 64) through a ring of
//             k_hstages shared-memory stages with TMA (128-byte swizzle; tokens past n read as zero), one step past
//             the end of the call (see the output), issuing a stage's next step once both warpgroups have released it.
//             No producer warp: a CTA of 288 or 384 threads gets at most 168 registers a thread (a 288-thread build
//             with 224 failed to launch), and the update needs more to split the next step's values under its
//             products (256 threads: up to 255).
//   update    holds the transposed fp32 state slice Sᵀ (64 value columns × 128 key dims) in its registers. Per step:
//             dSᵀ = (diag(λ^(m−1−i)) V)ᵀ K as two wgmma products of 64 key dims, m64n64k16, with the decayed values
//             from registers (ldmatrix.trans of the V tile, scaled and split into bf16 hi + lo a step ahead, under
//             the previous step's products: two products each) and K from shared memory (N-major); then
//             Sᵀ = λ^m Sᵀ + dSᵀ through fp32 FMAs (the fused kernel's reason: a tensor-core accumulation into a large
//             state drifts), the first half under the second half's product. It writes the state before each step
//             into one of k_hbufs shared buffers as bf16 hi + lo, K-major, for the output warpgroup, so it runs up
//             to two steps ahead of it.
//   output    per step, with Q read once into registers (A fragments): the scores Q·Kᵀ (wgmma m64n64k16), started
//             under the previous step's P·V, and Q·[Sᵀ hi | Sᵀ lo]ᵀ (m64n128k16; its two halves add up to Q·S);
//             while the second runs, the previous step's bf16 output goes out and the scores times the decay mask,
//             P = (Q·Kᵀ) ⊙ M with M[j, i] = λ^(j−i) for i <= j, else 0, are split into hi + lo in registers; then
//             O = diag(λ^(j+1)) Q·S + P·V (m64n64k16, P from registers, V N-major). A bf16 O leaves through a shared
//             tile and a TMA store, an fp32 O straight from the registers.
// Every product keeps the fused kernel's accuracy: operands exact in bf16 go in as one part, the state and the
// decayed scores and values as hi + lo pairs (lo · lo left out).
//
// ptxas serialises every wgmma of the kernel (info C7514, C7517, C7518 with -Xptxas -v) when a product's registers
// are read after a partial wgmma.wait whose group was started in an earlier iteration of the loop, or when a wgmma
// sits in a branch. The loops below start and read each product in one iteration; check with -Xptxas -v after a
// change.
//
// Shared memory (1024-byte aligned; a "half" is 64 rows × 64 bf16, 8 KiB, swizzled):
//   stage s (k_hstages)  Q [2 halves of d], K [2 halves of d], V [1 half]          40 KiB each
//   state buffers (3)    [2 halves of d][128 rows: Sᵀ hi, then Sᵀ lo][64]           32 KiB each
//   output tile          [64 rows][64 bf16]                                          8 KiB
//   mbarriers            full[s], empty[s], state_full[b], state_empty[b]; then λ^t for t in [0, 64]
#include "engine/cuda/cuda_hopper.cuh"
#include "engine/cuda/cuda_lightning.cuh"

#include <climits>
#include <cstdint>

namespace m1::cuda {

namespace {

using namespace hopper;
using mma::ldmatrix_x4;
using mma::ldmatrix_x4_trans;
using mma::pack_bf16;
using mma::smem_u32;
using mma::unpack_bf16;

constexpr int k_hd = 128;        // head dim served
constexpr int k_hdv = 64;        // value columns per CTA
constexpr int k_hstep = 64;      // tokens per step
constexpr int k_hstages = 3;     // depth of the q/k/v ring
constexpr int k_hthreads = 256;  // output and update warpgroups (thread 0 also issues the loads)
constexpr uint32_t k_half = 64 * 128;
constexpr uint32_t k_hstage_bytes = 5 * k_half;
constexpr uint32_t k_state_bytes = 4 * k_half;  // two halves of d, each 128 rows: hi (value columns), then lo
constexpr int k_hbufs = 3;  // state buffers: the update runs up to two steps ahead of the output
static_assert(k_hbufs == k_hstages, "the state buffers and the stages share their ring positions");
constexpr uint32_t k_obuf = k_hstages * k_hstage_bytes + k_hbufs * k_state_bytes;  // bf16 output tile
constexpr uint32_t k_bars = k_obuf + k_half;
constexpr uint32_t k_pw = k_bars + 8 * (2 * k_hstages + 2 * k_hbufs);
constexpr size_t k_hsmem = k_pw + 4 * (k_hstep + 1) + 1024;  // + alignment slack

// (x0, x1) ≈ hi + lo, each a packed bf16 pair: hi the top 16 bits of each (truncated: bit operations), lo the
// exact remainder rounded to bf16 (|lo| < 2^-7 |x|, so hi + lo is within 2^-16 of x). One conversion a pair: the
// conversions go through a variable-latency pipe, and the rounded split's two in a chain stalled the state's
// publication on them (Nsight Compute, session 8).
__device__ __forceinline__ void split_pack(float x0, float x1, uint32_t& hi, uint32_t& lo) {
    const uint32_t u0 = __float_as_uint(x0), u1 = __float_as_uint(x1);
    hi = __byte_perm(u0, u1, 0x7632);
    lo = pack_bf16(x0 - __uint_as_float(u0 & 0xFFFF0000u), x1 - __uint_as_float(u1 & 0xFFFF0000u));
}

// x, kept in a register: ptxas otherwise recomputes lane-dependent addresses from the thread index inside the loops,
// on their critical paths.
__device__ __forceinline__ uint32_t pinned(uint32_t x) {
    asm volatile("mov.b32 %0, %0;\n" : "+r"(x));
    return x;
}

// Ring positions of consecutive steps without divisions: stage s of k_hstages and the parity of its use.
struct ring_pos {
    int s = 0;
    uint32_t phase = 0;
    __device__ __forceinline__ ring_pos next() const {
        return s + 1 == k_hstages ? ring_pos{0, phase ^ 1u} : ring_pos{s + 1, phase};
    }
};

template <bool OUT16>
__global__ void __launch_bounds__(k_hthreads, 1)
    lightning_hopper_kernel(const __grid_constant__ CUtensorMap q_map, const __grid_constant__ CUtensorMap k_map,
                            const __grid_constant__ CUtensorMap v_map, const __grid_constant__ CUtensorMap o_map,
                            lightning_params p) {
#if defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL)
    extern __shared__ __align__(1024) unsigned char smem_raw[];
    const uint32_t raw = smem_u32(smem_raw), base = (raw + 1023u) & ~1023u;
    const auto q_s = [&](int s, int half) { return base + s * k_hstage_bytes + half * k_half; };
    const auto k_s = [&](int s, int half) { return q_s(s, 2 + half); };
    const auto v_s = [&](int s) { return q_s(s, 4); };
    const auto state_s = [&](int b) { return base + k_hstages * k_hstage_bytes + b * k_state_bytes; };
    const uint32_t bars = base + k_bars;
    const auto full = [&](int s) { return bars + 8 * s; };
    const auto empty = [&](int s) { return bars + 8 * (k_hstages + s); };
    const auto state_full = [&](int b) { return bars + 8 * (2 * k_hstages + b); };
    const auto state_empty = [&](int b) { return bars + 8 * (2 * k_hstages + k_hbufs + b); };
    float* pw = reinterpret_cast<float*>(smem_raw + (base - raw) + k_pw);

    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, g = lane / 4, tq = lane % 4;
    const int64_t c0 = int64_t(blockIdx.x) * k_hdv, h = blockIdx.y;
    const int steps = int((p.n + k_hstep - 1) / k_hstep);
    for (int x = threadIdx.x; x <= k_hstep; x += blockDim.x) pw[x] = p.pw[h * (p.block + 1) + x];
    if (threadIdx.x == 0) {
        for (int s = 0; s < k_hstages; ++s) {
            mbar_init(full(s), 1);
            mbar_init(empty(s), 8);  // lane 0 of each output and update warp
        }
        for (int b = 0; b < k_hbufs; ++b) {
            mbar_init(state_full(b), 128);  // every update thread, after its writes
            mbar_init(state_empty(b), 4);   // lane 0 of each output warp, once its products have read the buffer
        }
        asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
    }
    __syncthreads();

    // The loads of step t into stage at.s (thread 0): the first k_hstages here, each later one once both warpgroups
    // have released the stage's previous step, from the output's loop.
    const int col = int(h * p.head_stride);
    const auto load_step = [&](int t, ring_pos at) {
        const int s = at.s, row = t * k_hstep;
        if (t >= k_hstages) mbar_wait(empty(s), at.phase ^ 1);
        mbar_expect_tx(full(s), k_hstage_bytes);  // rows past n are zero-filled and still counted
        tma_load_2d(q_s(s, 0), &q_map, col, row, full(s));
        tma_load_2d(q_s(s, 1), &q_map, col + 64, row, full(s));
        tma_load_2d(k_s(s, 0), &k_map, col, row, full(s));
        tma_load_2d(k_s(s, 1), &k_map, col + 64, row, full(s));
        tma_load_2d(v_s(s), &v_map, col + int(c0), row, full(s));
    };
    if (threadIdx.x == 0) {
        ring_pos at;
        for (int t = 0; t < k_hstages && t <= steps; ++t, at = at.next()) load_step(t, at);
    }
    const int wl = warp % 4;
    // stmatrix (the state, the bf16 output tile): lane l addresses row l % 8 of matrix x_l = l / 8 of a call, which
    // covers rows 16·wl + 8·(x % 2) + [0, 8) of this warpgroup's 64.
    const int x_l = lane / 8, row_l = 16 * wl + 8 * (x_l % 2) + lane % 8;

    if (warp >= 4) {
        // ---- update. This thread's share of Sᵀ: value columns e = 16·wl + g (+ 8), key dims d = 8j + 2·tq (+ 1),
        // j in [0, 16): accumulator register 4j + 2·r2 + c is (e + 8·r2, 8j + 2·tq + c).
        float st[64];
        float* state = p.state + h * k_hd * k_hd + c0;
#pragma unroll
        for (int i = 0; i < 64; ++i) {
            const int e = 16 * wl + g + 8 * ((i / 2) % 2), d = 8 * (i / 4) + 2 * tq + i % 2;
            st[i] = state[d * k_hd + e];
        }
        // The state before step t → buffer t % k_hbufs (K-major Sᵀ: rows = value columns, 64 key dims a half), as bf16
        // hi (rows e) and lo (rows 64 + e), with stmatrix: matrix x of a call is rows 16·wl + 8·(x % 2) + [0, 8) of
        // key dims 8·(2·jp + x / 2) + [0, 8); lane l addresses row l % 8 of matrix l / 8 (row_l).
        // One half of d (key dims 64·hf + [0, 64): registers 32·hf + [0, 32)); the first half waits for the buffer,
        // the second makes both visible to the output warpgroup.
        const auto publish = [&](ring_pos to, int hf) {  // state buffers ring like the stages
            const int b = to.s;
            if (hf == 0) mbar_wait(state_empty(b), to.phase ^ 1);
#pragma unroll
            for (int jp = 4 * hf; jp < 4 * hf + 4; ++jp) {
                uint32_t hi[4], lo[4];
#pragma unroll
                for (int x = 0; x < 4; ++x) {
                    const int i = 4 * (2 * jp + x / 2) + 2 * (x % 2);
                    split_pack(st[i], st[i + 1], hi[x], lo[x]);
                }
                const int j_l = 2 * jp + x_l / 2;
                const uint32_t at = state_s(b) + (j_l / 8) * 2 * k_half + swizzled(row_l, 8 * (j_l % 8));
                stmatrix_x4(at, hi[0], hi[1], hi[2], hi[3]);
                stmatrix_x4(at + k_half, lo[0], lo[1], lo[2], lo[3]);  // rows 64 + e
            }
            if (hf == 1) {
                fence_async_shared();
                mbar_arrive(state_full(b));
            }
        };
        // Sᵀ = λ^m Sᵀ + dSᵀ for one half; the last step of a call (m < 64) scales its sum by r (see below). λ^m and r
        // are read at the step's start: a shared-memory load after the product's wait stalls on the busy pipe.
        const auto accumulate = [&](const float* ds, int hf, float lm, float r) {
            if (r == 1.0f) {  // every full step: no multiply
#pragma unroll
                for (int i = 0; i < 32; ++i) st[32 * hf + i] = fmaf(lm, st[32 * hf + i], ds[i]);
            } else {
#pragma unroll
                for (int i = 0; i < 32; ++i) st[32 * hf + i] = fmaf(lm, st[32 * hf + i], ds[i] * r);
            }
        };
        // The values' decays. A full step's token i gets λ^(63−i); the last step of a call, with m < 64 tokens,
        // wants λ^(m−1−i) = λ^(63−i) / λ^(64−m), so its sum is scaled by 1 / λ^(64−m) (its tokens past m are zero).
        // Register x of k step ks holds tokens i, i + 1 with i = 16·ks + 8·(x / 2) + 2·tq: decays pw[63 − i] and
        // pw[62 − i], kept in registers.
        float2 ev[4][2];  // [ks][x / 2]: (pw[62 − i], pw[63 − i])
#pragma unroll
        for (int ks = 0; ks < 4; ++ks)
#pragma unroll
            for (int x2 = 0; x2 < 2; ++x2) {
                const int i = 16 * ks + 8 * x2 + 2 * tq;
                ev[ks][x2] = make_float2(pw[62 - i], pw[63 - i]);
            }
        const uint32_t v_lane = pinned(v_s(0) + swizzled(8 * (lane / 16) + lane % 8, 16 * wl + 8 * ((lane / 8) % 2)));
        // The V tile of a step, transposed (ldmatrix), read a step ahead: under the previous step's products.
        uint32_t vf[4][4];
        const auto load_v = [&](ring_pos at) {
            mbar_wait(full(at.s), at.phase);
#pragma unroll
            for (int ks = 0; ks < 4; ++ks) ldmatrix_x4_trans(vf[ks], v_lane + at.s * k_hstage_bytes + ks * 2048);
        };
        // (decayed V)ᵀ as A fragments: rows = this warp's 16 value columns, 16 tokens a k step. The next step's are
        // split while this step's products run (they read ah, al: a second set).
        uint32_t ah[4][4], al[4][4], nh[4][4] = {}, nl[4][4] = {};
        const auto split_v = [&](uint32_t (&h)[4][4], uint32_t (&l)[4][4]) {
#pragma unroll
            for (int ks = 0; ks < 4; ++ks)
#pragma unroll
                for (int x = 0; x < 4; ++x) {
                    const float2 e = ev[ks][x / 2];
                    const float2 f = unpack_bf16(vf[ks][x]);
                    split_pack(f.x * e.y, f.y * e.x, h[ks][x], l[ks][x]);
                }
        };
        ring_pos at;
        publish(at, 0);
        publish(at, 1);
        load_v(at);
        split_v(ah, al);
        for (int t = 0; t < steps; ++t, at = at.next()) {
            const int s = at.s, m = int(min(int64_t(k_hstep), p.n - int64_t(t) * k_hstep));
            const float lm = pw[m], r = m == k_hstep ? 1.0f : 1.0f / pw[k_hstep - m];
            // dSᵀ in two products of 64 key dims (one commit group each), so that the first half's accumulation
            // and publication run under the second half's product.
            float ds0[32], ds1[32];
            fence_regs<32>(ds0);
            fence_regs<32>(ds1);
            wgmma_fence();
            const uint64_t kd0 = make_desc(k_s(s, 0), k_half, 1024), kd1 = make_desc(k_s(s, 1), k_half, 1024);
#pragma unroll
            for (int ks = 0; ks < 4; ++ks) {
                wgmma_rs_n64(ds0, ah[ks], kd0 + ks * 128, ks > 0);  // + 2048 bytes
                wgmma_rs_n64(ds0, al[ks], kd0 + ks * 128);
            }
            wgmma_commit();
#pragma unroll
            for (int ks = 0; ks < 4; ++ks) {
                wgmma_rs_n64(ds1, ah[ks], kd1 + ks * 128, ks > 0);
                wgmma_rs_n64(ds1, al[ks], kd1 + ks * 128);
            }
            wgmma_commit();
            if (t + 1 < steps) {
                load_v(at.next());
                split_v(nh, nl);
            }
            wgmma_wait<1>();
            fence_regs<32>(ds0);
            accumulate(ds0, 0, lm, r);
            if (t + 1 < steps) publish(at.next(), 0);
            wgmma_wait<0>();
            fence_regs<32>(ds1);
            fence_regs<16>(&ah[0][0]);
            fence_regs<16>(&al[0][0]);
            if (lane == 0) mbar_arrive(empty(s));
            accumulate(ds1, 1, lm, r);
            if (t + 1 < steps) publish(at.next(), 1);
#pragma unroll
            for (int ks = 0; ks < 4; ++ks)
#pragma unroll
                for (int x = 0; x < 4; ++x) {
                    ah[ks][x] = nh[ks][x];
                    al[ks][x] = nl[ks][x];
                }
        }
#pragma unroll
        for (int i = 0; i < 64; ++i) {
            const int e = 16 * wl + g + 8 * ((i / 2) % 2), d = 8 * (i / 4) + 2 * tq + i % 2;
            state[d * k_hd + e] = st[i];
        }
        return;
    }

    // ---- output. Rows j = 16·wl + g (+ 8) of the step; accumulator register 4c + 2·r2 + x is row j + 8·r2, column
    // (value column, or key for the scores) 8c + 2·tq + x. The decay mask M[j, i] = λ^(j−i) (i <= j, else 0) and the
    // row factors λ^(j+1) are the same in every step: rows and keys past the call's end hold zeros (TMA fills them),
    // and rows past it are not stored. This thread's 32 mask entries stay in its registers, in accumulator order.
    const int j0 = 16 * wl + g;
    float mask[32];
#pragma unroll
    for (int i = 0; i < 32; ++i) {
        const int q = j0 + 8 * ((i / 2) % 2), key = 8 * (i / 4) + 2 * tq + i % 2;
        mask[i] = key <= q ? pw[q - key] : 0.0f;
    }
    const float d0 = pw[j0 + 1], d1 = pw[j0 + 9];
    // descriptors advance by (byte offset) >> 4: a k step of 16 key dims is +32 bytes inside a half
    const auto kk_off = [](int kk) { return uint32_t(((kk / 4) * k_half + (kk % 4) * 32) >> 4); };
    // Iteration t runs Q·S of step t (its scores were started at the end of step t − 1), stores step t − 1's bf16
    // output under it, then P·V and, under P·V, the scores of step t + 1, which complete before the iteration ends
    // (see the header on ptxas). The bf16 output leaves the accumulator packed; an fp32 output is stored right away.
    float sc[32], o[32];          // Q·Kᵀ; the output rows
    uint32_t ph[4][4], pl[4][4];  // P = scores ⊙ M as A fragments, 16 keys a k step
    uint32_t ob[2][8];            // step t − 1's bf16 output, row j0 + 8·r2, columns 8c + 2·tq (+ 1)
    // bf16: through the shared tile (stmatrix, 128-byte swizzle) and a TMA store, which drops rows past n. Thread 0
    // issues the stores; the tile is reused once the previous store has read it.
    // ldmatrix of Q: lane l addresses row row_l, key dims 8·(l / 16) of a k step: the matrices come back in
    // A-fragment order.
    // Row r of a tile is 128 bytes, its 16-byte chunk c at c ^ (r % 8): k step kk % 4 of a half flips address bits 5
    // and 6 of the first step's address.
    const uint32_t q_lane = pinned(swizzled(row_l, 8 * (x_l / 2)));
    const auto store16 = [&](int t) {
        if (threadIdx.x == 0) bulk_wait_read<0>();
        named_sync(1, 128);
#pragma unroll
        for (int cp = 0; cp < 4; ++cp) {  // matrix x: rows + 8·(x % 2), columns 8·(2·cp + x / 2)
            const uint32_t at = base + k_obuf + swizzled(row_l, 8 * (2 * cp + x_l / 2));
            stmatrix_x4(at, ob[0][2 * cp], ob[1][2 * cp], ob[0][2 * cp + 1], ob[1][2 * cp + 1]);
        }
        fence_async_shared();
        named_sync(1, 128);
        if (threadIdx.x == 0) {
            tma_store_2d(&o_map, base + k_obuf, int(h * k_hd + c0), t * k_hstep);
            bulk_commit();
        }
    };
    const auto store32 = [&](int t) {  // fp32: straight from the accumulator, rows past n left out
        const int64_t t0 = int64_t(t) * k_hstep;
        const int m = int(min(int64_t(k_hstep), p.n - t0));
#pragma unroll
        for (int r2 = 0; r2 < 2; ++r2) {
            const int j = j0 + 8 * r2;
            if (j >= m) continue;
            const int64_t at = (t0 + j) * p.ldo + h * k_hd + c0 + 2 * tq;
#pragma unroll
            for (int c = 0; c < 8; ++c)
                *reinterpret_cast<float2*>(p.o + at + 8 * c) = make_float2(o[4 * c + 2 * r2], o[4 * c + 2 * r2 + 1]);
        }
    };
    uint32_t qf[k_hd / 16][4];  // Q as A fragments (both products read it from registers: less shared traffic)
    const auto load_q = [&](ring_pos at) {  // waits for the step's tiles
        mbar_wait(full(at.s), at.phase);
#pragma unroll
        for (int kk = 0; kk < k_hd / 16; ++kk)
            ldmatrix_x4(qf[kk], (q_s(at.s, kk / 4) + q_lane) ^ ((kk % 4) << 5));
    };
    const auto scores = [&](ring_pos at) {
        fence_regs<32>(sc);
        wgmma_fence();
        const uint64_t kd = make_desc(k_s(at.s, 0), 16, 1024);
#pragma unroll
        for (int kk = 0; kk < k_hd / 16; ++kk) wgmma_rs_n64<0>(sc, qf[kk], kd + kk_off(kk), kk > 0);
        wgmma_commit();
    };
    ring_pos at;
    load_q(at);
    scores(at);
    for (int t = 0; t < steps; ++t, at = at.next()) {
        const int s = at.s, b = at.s;  // stage and state buffer
        float qs[64];  // Q·[Sᵀ hi | Sᵀ lo]ᵀ: the two 64-column halves add up to Q·S
        mbar_wait(state_full(b), at.phase);
        fence_regs<64>(qs);
        wgmma_fence();
        const uint64_t sd = make_desc(state_s(b), 16, 1024);
#pragma unroll
        for (int kk = 0; kk < k_hd / 16; ++kk)
            wgmma_rs_n128<0>(qs, qf[kk], sd + (((kk / 4) * 2 * k_half + (kk % 4) * 32) >> 4), kk > 0);
        wgmma_commit();
        if (OUT16 && t > 0) store16(t - 1);
        wgmma_wait<1>();  // (the scores are complete: ptxas wants the wait before their registers are read)
        fence_regs<32>(sc);
#pragma unroll
        for (int kt = 0; kt < 4; ++kt)
#pragma unroll
            for (int h2 = 0; h2 < 2; ++h2) {  // accumulator block c = 2·kt + h2: keys 8 apart
                const int c = 2 * kt + h2;
                split_pack(sc[4 * c] * mask[4 * c], sc[4 * c + 1] * mask[4 * c + 1], ph[kt][2 * h2], pl[kt][2 * h2]);
                split_pack(sc[4 * c + 2] * mask[4 * c + 2], sc[4 * c + 3] * mask[4 * c + 3], ph[kt][2 * h2 + 1],
                           pl[kt][2 * h2 + 1]);
            }
        wgmma_wait<0>();
        fence_regs<64>(qs);
        fence_regs<32>(&qf[0][0]);
        if (lane == 0) mbar_arrive(state_empty(b));
        load_q(at.next());  // past the call's end: zeros, never stored
#pragma unroll
        for (int i = 0; i < 32; ++i) o[i] = (qs[i] + qs[i + 32]) * ((i / 2) % 2 ? d1 : d0);
        fence_regs<32>(o);
        wgmma_fence();
        const uint64_t vd = make_desc(v_s(s), k_half, 1024);
#pragma unroll
        for (int kt = 0; kt < 4; ++kt) {
            wgmma_rs_n64(o, ph[kt], vd + kt * 128);  // + 2048 bytes
            wgmma_rs_n64(o, pl[kt], vd + kt * 128);
        }
        wgmma_commit();
        scores(at.next());
        wgmma_wait<1>();
        fence_regs<32>(o);
        fence_regs<16>(&ph[0][0]);
        fence_regs<16>(&pl[0][0]);
        if (lane == 0) mbar_arrive(empty(s));
        if (threadIdx.x == 0 && t + k_hstages <= steps)  // the stage's next use: up to one step past the end
            load_step(t + k_hstages, ring_pos{s, at.phase ^ 1u});
        if constexpr (OUT16) {
#pragma unroll
            for (int r2 = 0; r2 < 2; ++r2)
#pragma unroll
                for (int c = 0; c < 8; ++c) ob[r2][c] = pack_bf16(o[4 * c + 2 * r2], o[4 * c + 2 * r2 + 1]);
        } else {
            store32(t);
        }
        // The next scores complete here, not under the next Q·S: ptxas loses track of a wgmma group that crosses
        // the loop's back edge and serialises every product (C7514) when its registers are read after a partial wait.
        wgmma_wait<0>();
        fence_regs<32>(sc);
    }
    wgmma_wait<0>();  // (nothing left running: for ptxas, as above)
    fence_regs<32>(sc);
    if constexpr (OUT16) {
        store16(steps - 1);
        if (threadIdx.x == 0) bulk_wait<0>();  // the tile stays valid until the last store has completed
    }
#else
    __trap();  // built without sm_90a: lightning_hopper_supported() keeps launches away
#endif
}

// Columns the tensor maps span from each input's base: up to the last head's d columns.
int64_t map_columns(const lightning_params& p) {
    return (p.n_heads - 1) * p.head_stride + k_hd;
}

}  // namespace

bool lightning_hopper_supported(const lightning_params& p) {
    if (!p.hopper || p.d != k_hd || !p.q16 || !p.k16 || !p.v16 || p.silu || p.block < k_hstep || !p.state || !p.pw ||
        p.n_heads <= 0 || p.n_heads > 65535)
        return false;
    // TMA: 16-byte aligned bases and row strides, int32 coordinates (rows up to a step past n; the bf16 output too);
    // 8-byte fp32 output pairs.
    const int64_t cols = map_columns(p);
    if (!aligned(p.q16, 16) || !aligned(p.k16, 16) || !aligned(p.v16, 16) || p.ld % 8 != 0 || p.head_stride % 8 != 0 ||
        p.n >= INT_MAX - 2 * k_hstep || cols >= INT_MAX || cols > p.ld || p.ldo % 2 != 0)
        return false;
    if (p.o16 ? !aligned(p.o16, 16) || p.ldo % 8 != 0 || p.n_heads * k_hd > p.ldo : !(p.o && aligned(p.o, 8)))
        return false;
    return sm90a_device();
}

cudaError_t launch_lightning_hopper(const lightning_params& p, cudaStream_t s) {
    if (p.n == 0) return cudaSuccess;
    if (!lightning_hopper_supported(p)) return cudaErrorInvalidValue;
    CUtensorMap q_map, k_map, v_map, o_map;
    const int64_t cols = map_columns(p);
    if (!encode_bf16_map(q_map, p.q16, p.n, cols, p.ld, k_hstep) ||
        !encode_bf16_map(k_map, p.k16, p.n, cols, p.ld, k_hstep) ||
        !encode_bf16_map(v_map, p.v16, p.n, cols, p.ld, k_hstep))
        return cudaErrorInvalidValue;
    if (!p.o16)
        o_map = q_map;  // unused by the fp32-output kernel
    else if (!encode_bf16_map(o_map, p.o16, p.n, p.n_heads * k_hd, p.ldo, k_hstep))
        return cudaErrorInvalidValue;
    const auto kernel = p.o16 ? lightning_hopper_kernel<true> : lightning_hopper_kernel<false>;
    if (cudaError_t e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(k_hsmem));
        e != cudaSuccess)
        return e;
    kernel<<<dim3(k_hd / k_hdv, unsigned(p.n_heads)), k_hthreads, k_hsmem, s>>>(q_map, k_map, v_map, o_map, p);
    return cudaGetLastError();
}

}  // namespace m1::cuda
