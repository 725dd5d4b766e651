// Causal GQA softmax attention prefill for Hopper (sm_90a, H100/H200), in the manner of FlashAttention-3. Same
// contract and accuracy as the tiled kernel (cuda_attention_tiled.cu: q rounded to bf16 after the scale, softmax
// weights rounded to bf16 before P·V), d = 128 only.
//
// One CTA per 128 queries × head: two consumer warpgroups of 64 query rows each and one producer warpgroup.
//   producer   one thread streams 128-key tiles of K and V through a ring of 2 or 3 shared-memory stages with
//              TMA (cp.async.bulk.tensor, 128-byte swizzle), signalling "full" mbarriers (K and V apart, so Q·Kᵀ
//              starts before V has landed) and waiting on "empty" ones before it overwrites a stage.
//   consumers  S (64 × 128 keys) = Q·Kᵀ with wgmma m64n128k16, both operands from shared memory; online softmax
//              in fp32 with exp2 on the accumulator registers; O (64 × 128) += P·V with P from registers (the wgmma
//              accumulator layout is, warp by warp, mma.sync's: the tiled kernel's re-packing) and V from shared
//              memory read N-major (V rows are keys; the instruction's transpose bit, legal for bf16).
// In the plain pipeline the two warpgroups are not synchronised with each other, so one's softmax overlaps the
// other's products only when they happen to drift apart. The overlap pipeline also overlaps each warpgroup with
// itself (FlashAttention-3's intra-warpgroup pipelining: Q·Kᵀ of tile t is issued before P·V of tile t − 1, and the
// softmax of tile t runs while that P·V is in flight); alone, on the H200 it measured 4-8% slower than the plain
// order (tests/bench/RESULTS.md, "Hopper attention (session 3)"). The ping-pong pipeline (variant 3) is the plain
// one with FlashAttention-3's inter-warpgroup schedule (paper §3.1): two named barriers hand the tensor cores from
// one warpgroup to the other, so that each issues its products (P·V of tile t − 1, then Q·Kᵀ of tile t) while the
// other runs its softmax: 538-554 TFLOP/s at 128K on random data against the plain order's 515. The default,
// variant 4, combines the two as FlashAttention-3 does: in its turn a warpgroup issues Q·Kᵀ(t) and then P·V(t − 1),
// and its softmax(t) starts as soon as Q·Kᵀ(t) is done, under its own P·V as well as the other group's products:
// 581 TFLOP/s at 128K, 568 on the last 64K queries of a 1M prefill (session 7). The others stay callable for tests
// and benchmarks.
//
// Shared memory (1024-byte aligned, every region a whole number of 1024-byte swizzle atoms):
//   Q                [2 halves of d][128 rows][64] bf16   32 KiB, written by the consumers (fp32 → scaled bf16)
//   stage s          K [2][128 keys][64], V [2][128 keys][64]   64 KiB each, 2 or 3 stages
//   mbarriers        full_k[s], full_v[s], empty[s]
// A 64-column half is the 128-byte-swizzled K-major layout wgmma's descriptors name: 16-byte chunk c of row r sits
// at chunk c ^ (r % 8); the 8-row groups are 1024 bytes apart; a 16-wide k step inside the half is +32 bytes.
//
// Work order as the tiled kernel's (cuda_attention_order.cuh): query heads of one KV head adjacent, last (longest)
// query blocks first.
#include "engine/cuda/cuda_attention.cuh"
#include "engine/cuda/cuda_attention_order.cuh"
#include "engine/cuda/cuda_hopper.cuh"

#include <climits>
#include <cstdint>

namespace m1::cuda {

namespace {

using namespace hopper;
using mma::pack_bf16;
using mma::smem_u32;

constexpr int k_d = 128;         // head_dim served
constexpr int k_bq = 128;        // queries per CTA: two warpgroups of 64
constexpr int k_bk = 128;        // keys per tile
constexpr int k_consumer_warps = 8;
constexpr int k_threads = 32 * k_consumer_warps + 128;  // + the producer warpgroup (one thread of it works)
constexpr uint32_t k_row_bytes = 128;                   // 64 bf16: one swizzled row
constexpr uint32_t k_q_half = k_bq * k_row_bytes;       // one 64-column half of Q
constexpr uint32_t k_kv_half = k_bk * k_row_bytes;      // one 64-column half of a K or V tile
constexpr uint32_t k_stage_bytes = 4 * k_kv_half;       // K halves then V halves
// Stages: the depth of the K/V ring (2 or 3: 160 or 224 KiB of shared memory, one CTA per SM either way).
__host__ __device__ constexpr uint32_t bar_offset(int stages) {
    return 2 * k_q_half + stages * k_stage_bytes;
}
constexpr size_t smem_bytes(int stages) {
    return bar_offset(stages) + 3 * stages * 8 + 1024;  // + mbarriers + alignment slack
}
constexpr float k_log2e = 1.4426950408889634f;
// Named barriers: 0 is __syncthreads, 1 + wg each warpgroup's own (Q written); the ping-pong pipeline's turn
// barriers are k_bar_turn + wg ("warpgroup wg may issue its products"), 256 threads: the 128 of the warpgroup whose
// turn it is (bar.sync) and the 128 of the other one (bar.arrive).
constexpr int k_bar_turn = 3;
constexpr int k_turn_threads = 256;

// Consumer pipelines (the kernel's first template argument).
enum pipeline : int {
    k_pipe_plain = 0,     // per warpgroup: Q·Kᵀ(t), softmax(t), P·V(t)
    k_pipe_overlap = 1,   // per warpgroup: Q·Kᵀ(t) and P·V(t − 1) in flight while softmax(t) runs
    k_pipe_pingpong = 2,  // plain, with the two warpgroups taking turns at the tensor cores
    k_pipe_pingpong_overlap = 3,  // ping-pong turns, and in each softmax(t) overlapping the group's own P·V(t − 1)
};

__device__ __forceinline__ float fast_exp2(float x) {  // ex2.approx: 2 ulp, exp2(-inf) = +0
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
    return y;
}


// Accumulator and A-fragment register layouts: cuda_hopper.cuh.
template <int Pipe, int k_stages>  // Pipe: a pipeline; k_stages: the K/V ring depth
__global__ void __launch_bounds__(k_threads, 1)
    attention_wgmma_kernel(const __grid_constant__ CUtensorMap k_map, const __grid_constant__ CUtensorMap v_map,
                           attention_params p) {
#if defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL)
    extern __shared__ __align__(1024) unsigned char smem_raw[];
    const uint32_t base = (smem_u32(smem_raw) + 1023u) & ~1023u;
    const uint32_t q_s = base;
    const auto k_s = [&](int s, int half) { return base + 2 * k_q_half + s * k_stage_bytes + half * k_kv_half; };
    const auto v_s = [&](int s, int half) { return k_s(s, 2 + half); };
    const uint32_t bars = base + bar_offset(k_stages);
    const auto full_k = [&](int s) { return bars + 8 * s; };
    const auto full_v = [&](int s) { return bars + 8 * (k_stages + s); };
    const auto empty = [&](int s) { return bars + 8 * (2 * k_stages + s); };
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;

    const attention_block blk = attention_block_of(blockIdx.x, p.n, p.n_heads, p.n_kv_heads, k_bq);
    const int64_t h = blk.h, kvh = blk.kvh, q0 = blk.qb * k_bq;
    const int64_t q_end = min(p.n, q0 + k_bq);
    const int n_tiles = int((p.pos0 + q_end + k_bk - 1) / k_bk);  // the block's last query sees keys < pos0 + q_end

    if (threadIdx.x == 0) {
        for (int s = 0; s < k_stages; ++s) {
            mbar_init(full_k(s), 1);
            mbar_init(full_v(s), 1);
            mbar_init(empty(s), k_consumer_warps);  // lane 0 of every consumer warp releases the stage
        }
        asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
    }
    __syncthreads();

    // Registers: 12 warps put three on each SM sub-partition, 168 registers apiece at launch; the producer gives
    // its share to the consumers (24 + 2·240 ≤ 512 per sub-partition), who hold S, P and O (64 + 32 + 64).
    if (warp >= k_consumer_warps) {  // the producer warpgroup
        asm volatile("setmaxnreg.dec.sync.aligned.u32 24;\n" ::: "memory");
        if (warp == k_consumer_warps && lane == 0) {
            const int col = int(kvh * k_d);
            for (int t = 0; t < n_tiles; ++t) {
                const int s = t % k_stages;
                mbar_wait(empty(s), ((t / k_stages) & 1) ^ 1);
                mbar_expect_tx(full_k(s), 2 * k_kv_half);  // rows past the cache are zero-filled and still counted
                tma_load_2d(k_s(s, 0), &k_map, col, t * k_bk, full_k(s));
                tma_load_2d(k_s(s, 1), &k_map, col + 64, t * k_bk, full_k(s));
                mbar_expect_tx(full_v(s), 2 * k_kv_half);
                tma_load_2d(v_s(s, 0), &v_map, col, t * k_bk, full_v(s));
                tma_load_2d(v_s(s, 1), &v_map, col + 64, t * k_bk, full_v(s));
            }
        }
        return;
    }

    asm volatile("setmaxnreg.inc.sync.aligned.u32 240;\n" ::: "memory");
    const int wg = warp / 4, wl = warp % 4, tid = threadIdx.x % 128;
    // This warpgroup's 64 query rows → Q (bf16, scaled by 1/√d and log2 e, so the scores come out in the exp2
    // domain), in the swizzled layout; 16 threads cover one row's 128 floats.
    const float qscale = p.scale * k_log2e;
    for (int x = tid; x < 64 * 16; x += 128) {
        const int r = wg * 64 + x / 16, c = x % 16;
        uint32_t w[4] = {0, 0, 0, 0};
        if (q0 + r < p.n) {
            const float4* src = reinterpret_cast<const float4*>(p.q + (q0 + r) * p.ld_q + h * k_d + c * 8);
            const float4 a = src[0], b = src[1];
            w[0] = pack_bf16(a.x * qscale, a.y * qscale);
            w[1] = pack_bf16(a.z * qscale, a.w * qscale);
            w[2] = pack_bf16(b.x * qscale, b.y * qscale);
            w[3] = pack_bf16(b.z * qscale, b.w * qscale);
        }
        st_shared_v4(q_s + (c / 8) * k_q_half + swizzled(r, 8 * (c % 8)), w[0], w[1], w[2], w[3]);
    }
    fence_async_shared();
    named_sync(1 + wg, 128);

    // Rows of this thread: r0 = l/4 and r0 + 8 of the warp's 16; their positions in the sequence.
    const int64_t row0 = q0 + wg * 64 + wl * 16 + lane / 4;
    const int64_t qpos[2] = {p.pos0 + row0, p.pos0 + row0 + 8};
    const int64_t wg_first = p.pos0 + q0 + wg * 64;
    // Key tiles warpgroup g reads: later ones are wholly in its rows' future (rows past n count as the last row).
    const auto tiles_of = [&](int g) {
        const int64_t last = p.pos0 + min(q0 + g * 64 + 63, p.n - 1);
        return min(n_tiles, int(last / k_bk) + 1);
    };
    const int wg_tiles = tiles_of(wg);

    float o[64], sacc[64];
#pragma unroll
    for (int i = 0; i < 64; ++i) o[i] = sacc[i] = 0.0f;
    uint32_t pf[8][4];  // P as bf16 A fragments, one per 16 keys
    float m_run[2] = {-INFINITY, -INFINITY}, l_run[2] = {0.0f, 0.0f};

    const uint32_t q_rows = q_s + wg * 64 * k_row_bytes;
    const auto issue_qk = [&](int s) {
        fence_regs<64>(sacc);
        wgmma_fence();
#pragma unroll
        for (int kk = 0; kk < k_d / 16; ++kk) {
            const uint32_t off = (kk / 4) * k_q_half + (kk % 4) * 32;
            const uint32_t koff = (kk / 4) * k_kv_half + (kk % 4) * 32;
            wgmma_ss_n128(sacc, make_desc(q_rows + off, 16, 1024), make_desc(k_s(s, 0) + koff, 16, 1024), kk > 0);
        }
        wgmma_commit();
    };
    const auto issue_pv = [&](int s) {
        fence_regs<64>(o);
        wgmma_fence();
#pragma unroll
        for (int j = 0; j < k_bk / 16; ++j) {
            // 16 keys = two 8-row groups (1024 bytes apart); N-major: the two 64-wide halves of d k_kv_half apart
            wgmma_rs_n128(o, pf[j], make_desc(v_s(s, 0) + j * 2048, k_kv_half, 1024));
        }
        wgmma_commit();
    };
    // Causal mask, running max and sum; sacc becomes the unnormalised weights exp2(s − m) in fp32. alpha: the factor
    // for what O held before this tile.
    const auto softmax = [&](int t, float (&alpha)[2]) {
        const int64_t k0 = int64_t(t) * k_bk;
        if (k0 + k_bk - 1 > wg_first) {
#pragma unroll
            for (int i = 0; i < 64; ++i) {
                const int64_t key = k0 + (i / 4) * 8 + 2 * (lane % 4) + (i % 2);
                if (key > qpos[(i / 2) % 2]) sacc[i] = -INFINITY;
            }
        }
#pragma unroll
        for (int r = 0; r < 2; ++r) {
            float mx = m_run[r];
#pragma unroll
            for (int j = 0; j < 16; ++j) mx = fmaxf(mx, fmaxf(sacc[4 * j + 2 * r], sacc[4 * j + 2 * r + 1]));
            mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 1));
            mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, 2));
            const float b = mx == -INFINITY ? 0.0f : mx;  // a row with no key yet stays at 0
            alpha[r] = fast_exp2(m_run[r] - b);
            m_run[r] = mx;
            float sum = 0.0f;
#pragma unroll
            for (int j = 0; j < 16; ++j) {
                sacc[4 * j + 2 * r] = fast_exp2(sacc[4 * j + 2 * r] - b);
                sacc[4 * j + 2 * r + 1] = fast_exp2(sacc[4 * j + 2 * r + 1] - b);
                sum += sacc[4 * j + 2 * r] + sacc[4 * j + 2 * r + 1];
            }
            l_run[r] = l_run[r] * alpha[r] + sum;  // this lane's share; the quad's shares are added at the end
        }
    };
    const auto rescale_and_pack = [&](const float (&alpha)[2], bool rescale = true) {
        if (rescale) {
#pragma unroll
            for (int i = 0; i < 64; ++i) o[i] *= alpha[(i / 2) % 2];
        }
        // Two adjacent 8-key accumulator blocks form the A fragment of one 16-key step.
#pragma unroll
        for (int j = 0; j < 8; ++j) {
            pf[j][0] = pack_bf16(sacc[8 * j + 0], sacc[8 * j + 1]);
            pf[j][1] = pack_bf16(sacc[8 * j + 2], sacc[8 * j + 3]);
            pf[j][2] = pack_bf16(sacc[8 * j + 4], sacc[8 * j + 5]);
            pf[j][3] = pack_bf16(sacc[8 * j + 6], sacc[8 * j + 7]);
        }
    };
    const auto release = [&](int s) {
        if (lane == 0) mbar_arrive(empty(s));
    };
    // With Q·Kᵀ(t) and then P·V(t − 1) in flight (stage sp): softmax(t) once the first is done, under the second;
    // then stage sp is released. P(t − 1) keeps its registers until its product has read them.
    const auto softmax_under_pv = [&](int t, int sp, float (&alpha)[2]) {
        wgmma_wait<1>();
        fence_regs<64>(sacc);
        softmax(t, alpha);
        wgmma_wait<0>();
        fence_regs<64>(o);
        fence_regs<32>(&pf[0][0]);
        release(sp);
    };

    if constexpr (Pipe == k_pipe_overlap) {
        // Tile 0, then for t ≥ 1: issue Q·Kᵀ(t), issue P·V(t − 1), wait for the first, softmax(t) while the second
        // runs, wait for it, rescale O and re-pack P.
        float alpha[2];
        mbar_wait(full_k(0), 0);
        issue_qk(0);
        wgmma_wait<0>();
        fence_regs<64>(sacc);
        softmax(0, alpha);
        rescale_and_pack(alpha);
        for (int t = 1; t < wg_tiles; ++t) {
            const int s = t % k_stages, sp = (t - 1) % k_stages;
            mbar_wait(full_k(s), (t / k_stages) & 1);
            issue_qk(s);
            mbar_wait(full_v(sp), ((t - 1) / k_stages) & 1);
            issue_pv(sp);
            softmax_under_pv(t, sp, alpha);
            rescale_and_pack(alpha);
        }
        const int sl = (wg_tiles - 1) % k_stages;
        mbar_wait(full_v(sl), ((wg_tiles - 1) / k_stages) & 1);
        issue_pv(sl);
        wgmma_wait<0>();
        fence_regs<64>(o);
        release(sl);
    } else if constexpr (Pipe == k_pipe_plain) {
        for (int t = 0; t < wg_tiles; ++t) {
            const int s = t % k_stages;
            const uint32_t ph = (t / k_stages) & 1;
            float alpha[2];
            mbar_wait(full_k(s), ph);
            issue_qk(s);
            wgmma_wait<0>();
            fence_regs<64>(sacc);
            softmax(t, alpha);
            rescale_and_pack(alpha);
            mbar_wait(full_v(s), ph);
            issue_pv(s);
            wgmma_wait<0>();
            fence_regs<64>(o);
            release(s);
        }
    } else if constexpr (Pipe == k_pipe_pingpong_overlap) {
        // The ping-pong turns below (same blocks, same turn count, same empty turns), with the overlap pipeline's
        // order inside a block: Q·Kᵀ(b) is issued before P·V(b − 1), so its group completes first and softmax(b) runs
        // while P·V(b − 1) is still on the tensor cores. The first and last blocks are peeled off the loop so that
        // its body has no branch between issue and wait (ptxas serialises the wgmma pipeline otherwise).
        float alpha[2];
        const int n_blocks = max(tiles_of(0), tiles_of(1)) + 1;
        const int my_turn = k_bar_turn + wg, their_turn = k_bar_turn + 1 - wg;
        const auto pass_turn = [&](int b) {
            if (wg == 0 || b < n_blocks - 1) named_arrive(their_turn, k_turn_threads);
        };
        if (wg == 1) named_arrive(k_bar_turn, k_turn_threads);  // warpgroup 0 takes the first turn
        mbar_wait(full_k(0), 0);
        named_sync(my_turn, k_turn_threads);
        issue_qk(0);
        pass_turn(0);
        wgmma_wait<0>();
        fence_regs<64>(sacc);
        softmax(0, alpha);
        rescale_and_pack(alpha, false);  // O is still zero
        for (int b = 1; b < wg_tiles; ++b) {
            const int s = b % k_stages, sp = (b - 1) % k_stages;
            mbar_wait(full_k(s), (b / k_stages) & 1);
            mbar_wait(full_v(sp), ((b - 1) / k_stages) & 1);
            named_sync(my_turn, k_turn_threads);
            issue_qk(s);
            issue_pv(sp);
            pass_turn(b);
            softmax_under_pv(b, sp, alpha);
            rescale_and_pack(alpha, !__all_sync(0xffffffffu, alpha[0] == 1.0f && alpha[1] == 1.0f));
        }
        const int sl = (wg_tiles - 1) % k_stages;
        mbar_wait(full_v(sl), ((wg_tiles - 1) / k_stages) & 1);
        named_sync(my_turn, k_turn_threads);
        issue_pv(sl);
        pass_turn(wg_tiles);
        wgmma_wait<0>();
        fence_regs<64>(o);
        release(sl);
    } else {
        // The plain order regrouped into "GEMM blocks": block b issues P·V(b − 1) (b ≥ 1) then Q·Kᵀ(b) (b < tiles),
        // waits for both, releases stage b − 1 and runs softmax(b); blocks 0 .. wg_tiles. The math is the plain
        // pipeline's, instruction for instruction. A warpgroup issues a block only in its turn: warpgroup 0 waits on
        // barrier k_bar_turn (its turn), issues, and arrives on k_bar_turn + 1 (warpgroup 1's turn); warpgroup 1 the
        // mirror. So the tensor cores run
        //   WG0 block 0 | WG1 block 0 | WG0 block 1 | WG1 block 1 | ...
        // and each warpgroup's softmax runs under the other's products. Deadlock freedom:
        //   - both run the same number of turns, n_blocks (the larger block count; the group with fewer real blocks,
        //     warpgroup 0 when its rows end a tile earlier, takes empty turns at the end), so every sync of one group
        //     has its arrive from the other: warpgroup 0's turn barrier gets warpgroup 1's opening arrive plus one
        //     after each of its turns but the last; warpgroup 1's one after each of warpgroup 0's turns. No arrive is
        //     left pending when the CTA exits.
        //   - a group waits for its K/V tiles before it waits for its turn, so it never holds a turn while it needs
        //     the other to free a stage. Tile b (needed from block b on) needs both groups' release of tile
        //     b − k_stages, which each does right after its block b − k_stages + 1 <= b − 1: warpgroup 1 reaches that
        //     block on warpgroup 0's arrive of the same block, warpgroup 0 on warpgroup 1's arrive of block b − 2.
        //   - empty turns are interleaved with the releases of the tiles past the group's rows (below), in block order.
        float alpha[2];
        const int n_blocks = max(tiles_of(0), tiles_of(1)) + 1;
        const int my_turn = k_bar_turn + wg, their_turn = k_bar_turn + 1 - wg;
        if (wg == 1) named_arrive(k_bar_turn, k_turn_threads);  // warpgroup 0 takes the first turn
        for (int b = 0; b <= wg_tiles; ++b) {
            const int s = b % k_stages, sp = (b + k_stages - 1) % k_stages;
            if (b < wg_tiles) mbar_wait(full_k(s), (b / k_stages) & 1);
            if (b > 0) mbar_wait(full_v(sp), ((b - 1) / k_stages) & 1);
            named_sync(my_turn, k_turn_threads);
            if (b > 0) issue_pv(sp);
            if (b < wg_tiles) issue_qk(s);
            if (wg == 0 || b < n_blocks - 1) named_arrive(their_turn, k_turn_threads);
            wgmma_wait<0>();
            fence_regs<64>(o);
            fence_regs<64>(sacc);
            if (b > 0) release(sp);
            if (b == wg_tiles) break;
            softmax(b, alpha);
            // O's rescale is a multiply by exactly 1 when no row of the warp raised its maximum: skip it then (the
            // result is the same bits). Rows belong to warps, so one warp's vote decides for its 64 registers.
            rescale_and_pack(alpha, !__all_sync(0xffffffffu, alpha[0] == 1.0f && alpha[1] == 1.0f));
        }
    }
    // Tiles past this group's last query: the producer still needs them released (the other group uses them). In
    // the ping-pong pipeline, block t + 1's turn (an empty one) follows tile t's release, while turns remain.
    for (int t = wg_tiles; t < n_tiles; ++t) {
        const int s = t % k_stages;
        const uint32_t ph = (t / k_stages) & 1;
        mbar_wait(full_k(s), ph);
        mbar_wait(full_v(s), ph);
        release(s);
        if constexpr (Pipe == k_pipe_pingpong || Pipe == k_pipe_pingpong_overlap) {
            const int n_blocks = max(tiles_of(0), tiles_of(1)) + 1;
            if (t + 1 < n_blocks) {
                named_sync(k_bar_turn + wg, k_turn_threads);
                if (wg == 0 || t + 1 < n_blocks - 1) named_arrive(k_bar_turn + 1 - wg, k_turn_threads);
            }
        }
    }

#pragma unroll
    for (int r = 0; r < 2; ++r) {
        l_run[r] += __shfl_xor_sync(0xffffffffu, l_run[r], 1);
        l_run[r] += __shfl_xor_sync(0xffffffffu, l_run[r], 2);
    }
#pragma unroll
    for (int r = 0; r < 2; ++r) {
        const int64_t t = row0 + 8 * r;
        if (t >= p.n) continue;
        const float inv = 1.0f / l_run[r];
        float* out = p.o + t * p.n_heads * k_d + h * k_d + 2 * (lane % 4);
#pragma unroll
        for (int j = 0; j < 16; ++j)
            *reinterpret_cast<float2*>(out + 8 * j) = make_float2(o[4 * j + 2 * r] * inv, o[4 * j + 2 * r + 1] * inv);
    }
#else
    __trap();  // built without sm_90a: attention_wgmma_supported() keeps launches away
#endif
}

// A (rows, KV) bf16 cache read in boxes of 128 rows × 64 columns, 128-byte swizzled; rows past `rows` read as 0.
bool encode_cache_map(CUtensorMap& map, const void* cache, int64_t rows, int64_t kv) {
    return encode_bf16_map(map, cache, rows, kv, kv, k_bk);
}

template <int Pipe, int Stages>
cudaError_t launch_variant(const attention_params& p, const CUtensorMap& k_map, const CUtensorMap& v_map,
                           cudaStream_t s) {
    const auto kernel = attention_wgmma_kernel<Pipe, Stages>;
    const size_t bytes = smem_bytes(Stages);
    if (cudaError_t e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(bytes));
        e != cudaSuccess)
        return e;
    const int64_t blocks = (p.n + k_bq - 1) / k_bq * p.n_heads;
    kernel<<<unsigned(blocks), k_threads, bytes, s>>>(k_map, v_map, p);
    return cudaGetLastError();
}

}  // namespace

bool attention_wgmma_supported(const attention_params& p) {
    if (p.kv_f32 || p.d != k_d || p.n_kv_heads <= 0 || p.n_heads % p.n_kv_heads != 0) return false;
    // float4 loads of q, float2 stores of o, TMA: 16-byte aligned cache rows; TMA coordinates are int32.
    if (!aligned(p.q, 16) || p.ld_q % 4 != 0 || !aligned(p.o, 8) || !aligned(p.k_cache, 16) ||
        !aligned(p.v_cache, 16) || (p.n_kv_heads * k_d) % 8 != 0 || p.pos0 + p.n >= INT_MAX)
        return false;
    return sm90a_device();  // the sm_90a code runs on 9.0 only
}

cudaError_t launch_attention_wgmma(const attention_params& p, cudaStream_t s, int variant) {
    if (p.n == 0) return cudaSuccess;
    if (!attention_wgmma_supported(p) || variant < 0 || variant >= k_attention_wgmma_variants)
        return cudaErrorInvalidValue;
    CUtensorMap k_map, v_map;
    const int64_t rows = p.pos0 + p.n, kv = p.n_kv_heads * k_d;
    if (!encode_cache_map(k_map, p.k_cache, rows, kv) || !encode_cache_map(v_map, p.v_cache, rows, kv))
        return cudaErrorInvalidValue;
    switch (variant) {
    case 0:
        return launch_variant<k_pipe_plain, 3>(p, k_map, v_map, s);
    case 1:
        return launch_variant<k_pipe_plain, 2>(p, k_map, v_map, s);
    case 2:
        return launch_variant<k_pipe_overlap, 3>(p, k_map, v_map, s);
    case 3:
        return launch_variant<k_pipe_pingpong, 3>(p, k_map, v_map, s);
    default:
        return launch_variant<k_pipe_pingpong_overlap, 3>(p, k_map, v_map, s);
    }
}

}  // namespace m1::cuda
