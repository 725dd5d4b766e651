#include "engine/cuda/cuda_decode_gemv.cuh"
#include "engine/cuda/cuda_gemm.h"
#include "engine/cuda/cuda_moe.cuh"
#include "engine/cuda/cuda_ops.cuh"
#include "engine/cuda/cuda_stage_clock.h"

#include <algorithm>

namespace m1::cuda {

namespace {

constexpr int k_max_top = 16;

constexpr int k_route_warps = 4;  // tokens per CTA

// The CPU reference's order of operations: p = exp(l − max) in fp32, the sum in double, p *= fp32(1/sum); then the
// k largest (a strict > scan picks the lowest index among equals, like a stable descending sort); weights p / Σ p
// with the sum taken in fp32 in choice order. One warp per token: the logits are staged in shared memory and the
// probabilities computed by the warp's lanes (the same expressions), so the serial scans of lane 0 read shared
// memory instead of waiting on a global load per expert.
__global__ void route_kernel(route_params p) {
    extern __shared__ float route_smem[];  // (k_route_warps, 2, E): logits, probabilities
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const int64_t t = blockIdx.x * int64_t(k_route_warps) + warp;
    if (t >= p.n) return;  // whole warps leave: no barrier below spans warps
    float* l = route_smem + warp * 2 * p.E;
    float* pr = l + p.E;
    for (int64_t e = lane; e < p.E; e += 32) l[e] = p.logits[t * p.E + e];
    __syncwarp();
    __shared__ float inv_of[k_route_warps], max_of[k_route_warps];
    if (lane == 0) {
        float mx = -INFINITY;
        for (int64_t e = 0; e < p.E; ++e) mx = fmaxf(mx, l[e]);
        double sum = 0;
        for (int64_t e = 0; e < p.E; ++e) sum += double(expf(l[e] - mx));
        max_of[warp] = mx;
        inv_of[warp] = float(1.0 / sum);
    }
    __syncwarp();
    for (int64_t e = lane; e < p.E; e += 32) pr[e] = expf(l[e] - max_of[warp]) * inv_of[warp];
    __syncwarp();
    if (lane != 0) return;
    int32_t chosen[k_max_top];
    float prob[k_max_top];
    float total = 0;
    for (int64_t j = 0; j < p.k; ++j) {
        int32_t best = -1;
        float best_p = 0;
        for (int64_t e = 0; e < p.E; ++e) {
            bool taken = false;
            for (int64_t c = 0; c < j; ++c) taken |= chosen[c] == e;
            if (taken) continue;
            const float pe = pr[e];
            if (best < 0 || pe > best_p) {
                best = int32_t(e);
                best_p = pe;
            }
        }
        chosen[j] = best;
        prob[j] = best_p;
        total += best_p;
    }
    for (int64_t j = 0; j < p.k; ++j) {
        p.expert[t * p.k + j] = chosen[j];
        p.weight[t * p.k + j] = prob[j] / total;
    }
}

constexpr int k_group_threads = 1024;  // tokens per tile, one a thread
constexpr int k_group_warps = k_group_threads / 32;
constexpr int k_group_max_experts = 256;

// The grouping in three launches over tiles of k_group_threads tokens, one CTA a tile (p.tiles: a (tiles, E + 1)
// table). Count: each tile's rows per expert, and in column E its invalid choices. Scan (one CTA): the table becomes
// each tile's first grouped row of each expert (the expert's offset plus the rows of earlier tiles), count the
// totals. Place: within its tile a warp ballots, for each expert, which of its tokens chose it (a token chooses an
// expert at most once), so a token's row is its tile's start for the expert, the rows of earlier warps in the tile
// (a prefix over the warps' counts) and its lane rank. Rows of one expert thus follow the token order, as the CPU
// grouping has them; one CTA walking all the tiles took 0.27 ms for W16's 32,768-token chunk.
__device__ __forceinline__ bool valid_choice(const int32_t* et, int j, int E) {
    const int32_t e = et[j];
    bool ok = e >= 0 && e < E;
    for (int i = 0; i < j; ++i) ok = ok && et[i] != e;
    return ok;
}

__global__ void __launch_bounds__(k_group_threads) group_count_kernel(group_params p) {
    __shared__ int32_t rows_of[k_group_max_experts + 1];  // the tile's rows per expert, then its invalid choices
    const int E = int(p.E), k = int(p.k);
    for (int e = threadIdx.x; e <= E; e += k_group_threads) rows_of[e] = 0;
    __syncthreads();
    const int64_t t = int64_t(blockIdx.x) * k_group_threads + threadIdx.x;
    if (t < p.n) {
        const int32_t* et = p.expert + t * k;
        for (int j = 0; j < k; ++j) atomicAdd(&rows_of[valid_choice(et, j, E) ? et[j] : E], 1);
    }
    __syncthreads();
    for (int e = threadIdx.x; e <= E; e += k_group_threads) p.tiles[int64_t(blockIdx.x) * (E + 1) + e] = rows_of[e];
}

__global__ void __launch_bounds__(k_group_max_experts) group_scan_kernel(group_params p, int tiles) {
    __shared__ int32_t total[k_group_max_experts + 1];
    const int E = int(p.E), c = threadIdx.x;
    // column c (an expert, or c = E the invalid choices): rows of earlier tiles, then the column's total
    for (int col = c; col <= E; col += blockDim.x) {
        int32_t run = 0;
        for (int b = 0; b < tiles; ++b) {
            int32_t& cell = p.tiles[int64_t(b) * (E + 1) + col];
            const int32_t rows = cell;
            cell = run;
            run += rows;
        }
        total[col] = run;
    }
    __syncthreads();
    if (c == 0) {  // E <= 256 experts: a serial prefix is a few hundred adds
        int32_t run = 0;
        for (int e = 0; e < E; ++e) {
            const int32_t rows = total[e];
            p.count[e] = rows;
            total[e] = run;  // now the expert's first grouped row
            run += rows;
        }
        p.count[E] = total[E];
    }
    __syncthreads();
    for (int e = c; e < E; e += blockDim.x)
        for (int b = 0; b < tiles; ++b) p.tiles[int64_t(b) * (E + 1) + e] += total[e];
}

__global__ void __launch_bounds__(k_group_threads) group_place_kernel(group_params p) {
    __shared__ int32_t before[k_group_warps][k_group_max_experts];  // a warp's count, then its rows' start
    if (p.count[p.E] != 0) return;  // an invalid routing: nothing is written (uniform over the grid)
    const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
    const int E = int(p.E), k = int(p.k);
    const int64_t rows = p.n * p.k;
    const unsigned lower = (1u << lane) - 1u;
    const int64_t t = int64_t(blockIdx.x) * k_group_threads + tid;
    const bool valid = t < p.n;
    int32_t e[k_max_top], rank[k_max_top];
    for (int j = 0; j < k; ++j) {
        e[j] = valid ? p.expert[t * k + j] : -1;
        rank[j] = 0;
    }
    for (int x = 0; x < E; ++x) {  // every lane runs every iteration: the ballots see the whole warp
        int jx = -1;
        for (int j = 0; j < k; ++j)
            if (e[j] == x) jx = j;
        const unsigned chose = __ballot_sync(0xffffffffu, jx >= 0);
        if (jx >= 0) rank[jx] = __popc(chose & lower);
        if (lane == 0) before[warp][x] = __popc(chose);
    }
    __syncthreads();
    for (int x = tid; x < E; x += k_group_threads) {
        int32_t run = p.tiles[int64_t(blockIdx.x) * (E + 1) + x];  // the tile's first row of expert x
        for (int w = 0; w < k_group_warps; ++w) {
            const int32_t c = before[w][x];
            before[w][x] = run;
            run += c;
        }
    }
    __syncthreads();
    if (!valid) return;
    int order[k_max_top];  // this token's choices in ascending expert order: the combine's order
    for (int j = 0; j < k; ++j) {
        int at = j;
        for (; at > 0 && e[order[at - 1]] > e[j]; --at) order[at] = order[at - 1];
        order[at] = j;
    }
    for (int jj = 0; jj < k; ++jj) {
        const int j = order[jj];
        const int32_t r = before[warp][e[j]] + rank[j];
        p.index[r] = int32_t(t);
        p.index[rows + t * k + jj] = r;
        p.cweight[t * k + jj] = p.weight[t * k + j];
    }
}

}  // namespace

void moe_decode_reserve(const moe_weights& w, int64_t n, moe_workspace& ws) {
    const int64_t rows = n * w.k;
    ws.logits.reserve(size_t(n * w.E));
    ws.expert.reserve(size_t(rows));
    ws.weight.reserve(size_t(rows));
    ws.act.reserve(size_t(rows * w.I));
}

// Four launches: the router (split over K), the routing, w1/w3 with SwiGLU in the product's epilogue, and w2 with
// the weighted sum over the token's experts in its epilogue (ascending expert order, as moe_forward's combine).
void moe_decode(cudaStream_t s, const moe_weights& w, const float* g, int64_t n, float* m, moe_workspace& ws,
                bool pdl) {
    const int64_t H = w.H, E = w.E, k = w.k, I = w.I, rows = n * k;
    if (n > k_gemv_max_rows || k > k_max_top || k > k_gemv_max_top)
        throw cuda_error("MoE decode: more than 8 tokens or 16 experts a token");
    moe_decode_reserve(w, n, ws);
    gemv_params router = gemv_one(w.router, true, E, H, g, n, ws.logits.data());
    router.pdl = pdl;
    check(launch_gemv(router, s), "MoE router GEMV");
    check(launch_route({ws.logits.data(), n, E, k, ws.expert.data(), ws.weight.data()}, s), "MoE routing kernel");
    gemv_params up{};  // problem t·k + j: token t through its j-th expert's w1 and w3 -> SwiGLU activations
    up.w = w.w13;
    up.N = I;
    up.K = H;
    up.w_stride = 2 * I * H;
    up.expert = ws.expert.data();
    up.problems = rows;
    up.x = g;
    up.x_group = k;
    up.x_stride = H;
    up.ldx = H;
    up.y = ws.act.data();
    up.y_stride = I;
    up.epilogue = gemv_epilogue::swiglu;
    up.pair = I;
    up.pdl = pdl;
    check(launch_gemv(up, s), "MoE w13 GEMV");
    gemv_params down{};  // problem t: the weighted sum of its k experts' w2 products
    down.w = w.w2;
    down.N = H;
    down.K = I;
    down.w_stride = H * I;
    down.expert = ws.expert.data();
    down.problems = n;
    down.x = ws.act.data();
    down.x_stride = I;
    down.ldx = I;
    down.y = m;
    down.y_stride = H;
    down.epilogue = gemv_epilogue::combine;
    down.route_weight = ws.weight.data();
    down.k = int(k);
    down.pdl = pdl;
    check(launch_gemv(down, s), "MoE w2 GEMV");
}

cudaError_t launch_route(const route_params& p, cudaStream_t s) {
    if (p.n == 0) return cudaSuccess;
    if (p.k > k_max_top || p.k > p.E) return cudaErrorInvalidValue;
    const size_t smem = size_t(k_route_warps) * 2 * size_t(p.E) * sizeof(float);
    if (smem > 48 * 1024) return cudaErrorInvalidValue;  // 1536 experts at most
    route_kernel<<<unsigned((p.n + k_route_warps - 1) / k_route_warps), 32 * k_route_warps, smem, s>>>(p);
    return cudaGetLastError();
}

combine_params moe_pending_combine(const moe_workspace& ws, const moe_weights& w, int64_t n) {
    return {ws.y.data(), ws.index.data() + n * w.k, ws.cweight.data(), n, w.k, w.H, nullptr};
}

void moe_combine(cudaStream_t s, const moe_weights& w, int64_t n, float* m, const moe_workspace& ws,
                 stage_clock* clock) {
    combine_params cp = moe_pending_combine(ws, w, n);
    cp.out = m;
    check(launch_combine(cp, s), "MoE combine kernel");
    if (clock) clock->mark(s, "MoE combine");
}

void moe_forward(cublasHandle_t blas, cudaStream_t s, const moe_weights& w, const float* g, int64_t n, float* m,
                 moe_workspace& ws, bool split, stage_clock* clock, bool combine) {
    const auto mark = [&](const char* stage) {
        if (clock) clock->mark(s, stage);
    };
    const int64_t H = w.H, E = w.E, k = w.k, I = w.I, rows = n * k;
    ws.logits.reserve(size_t(n * E));
    ws.expert.reserve(size_t(rows));
    ws.weight.reserve(size_t(rows));
    ws.index.reserve(size_t(2 * rows));
    ws.cweight.reserve(size_t(rows));
    ws.y.reserve(size_t(rows * H));

    linear_f32(blas, g, n, H, w.router, E, ws.logits.data());
    mark("MoE router product");
    check(launch_route({ws.logits.data(), n, E, k, ws.expert.data(), ws.weight.data()}, s), "MoE routing kernel");
    mark("MoE routing kernel");
    ws.count.reserve(size_t(E + 1));
    ws.h_count.reserve(size_t(E + 1));
    ws.tiles.reserve(size_t(group_scratch_ints(n, E)));
    check(launch_group({ws.expert.data(), ws.weight.data(), n, E, k, ws.count.data(), ws.index.data(),
                        ws.cweight.data(), ws.tiles.data()},
                       s),
          "MoE grouping kernel");
    mark("MoE grouping kernel");
    // cuBLAS takes each expert's rows from the host: the one wait of the block
    check(cudaMemcpyAsync(ws.h_count.data(), ws.count.data(), size_t(E + 1) * 4, cudaMemcpyDeviceToHost, s),
          "expert row counts download");
    check(cudaStreamSynchronize(s), "expert row counts synchronisation");
    mark("MoE row counts to the host");
    const int32_t* count = ws.h_count.data();  // (E) rows per expert, then the invalid choices
    if (count[E] != 0)
        throw cuda_error("MoE routing produced " + std::to_string(count[E]) + " expert choices outside [0, " +
                         std::to_string(E) + ") or repeated within a token");
    std::vector<int64_t> offset(static_cast<size_t>(E) + 1, 0);
    for (int64_t e = 0; e < E; ++e) offset[size_t(e + 1)] = offset[size_t(e)] + count[e];
    if (!split) {
        // Fast precision: the GEMM inputs are bf16 anyway, so the gathered rows, the w1/w3 results and the SwiGLU
        // activations live in bf16 (a third of the bytes of fp32 results plus conversions; one more rounding, of
        // w1·g and w3·g, than the fp32 path).
        ws.xg16.reserve(size_t(rows * H));
        ws.y13_16.reserve(size_t(rows * 2 * I));
        ws.act16.reserve(size_t(rows * I));
        check(launch_gather_rows_bf16(g, ws.index.data(), rows, H, ws.xg16.data(), s), "MoE gather kernel (bf16)");
        mark("MoE gather");
        for (int64_t e = 0; e < E; ++e)
            if (count[e] > 0)
                linear_bf16_out(blas, ws.xg16.data() + offset[size_t(e)] * H, count[e], H,
                                w.w13 + e * 2 * I * H, 2 * I, ws.y13_16.data() + offset[size_t(e)] * 2 * I);
        mark("expert w1/w3 products");
        check(launch_swiglu_bf16(ws.y13_16.data(), ws.act16.data(), rows, I, s), "SwiGLU kernel (bf16)");
        mark("SwiGLU");
        for (int64_t e = 0; e < E; ++e)
            if (count[e] > 0)
                linear_bf16(blas, ws.act16.data() + offset[size_t(e)] * I, count[e], I, w.w2 + e * H * I, H,
                            ws.y.data() + offset[size_t(e)] * H);
        mark("expert w2 products");
    } else {
        ws.xg.reserve(size_t(rows * H));
        ws.y13.reserve(size_t(rows * 2 * I));
        ws.act.reserve(size_t(rows * I));
        ws.cvt.reserve(size_t(2 * rows * std::max(H, I)));
        check(launch_gather_rows(g, ws.index.data(), rows, H, ws.xg.data(), s), "MoE gather kernel");
        mark("MoE gather");
        // The conversion scratch is shared by the experts' products: they run in order on one stream.
        for (int64_t e = 0; e < E; ++e)
            if (count[e] > 0)
                linear_act(blas, s, ws.xg.data() + offset[size_t(e)] * H, count[e], H, w.w13 + e * 2 * I * H,
                           2 * I, ws.y13.data() + offset[size_t(e)] * 2 * I, ws.cvt.data(), split);
        mark("expert w1/w3 products");
        check(launch_swiglu(ws.y13.data(), ws.act.data(), rows, I, s), "SwiGLU kernel");
        mark("SwiGLU");
        for (int64_t e = 0; e < E; ++e)
            if (count[e] > 0)
                linear_act(blas, s, ws.act.data() + offset[size_t(e)] * I, count[e], I, w.w2 + e * H * I, H,
                           ws.y.data() + offset[size_t(e)] * H, ws.cvt.data(), split);
        mark("expert w2 products");
    }
    if (combine) moe_combine(s, w, n, m, ws, clock);
}

moe_grouping group_by_expert(const std::vector<int32_t>& expert, const std::vector<float>& weight, int64_t n,
                             int64_t E, int64_t k) {
    const int64_t rows = n * k;
    moe_grouping g;
    g.count.assign(size_t(E), 0);
    g.index.assign(size_t(2 * rows), 0);
    g.cweight.assign(size_t(rows), 0.0f);
    for (int64_t t = 0; t < n; ++t)
        for (int64_t j = 0; j < k; ++j) {
            const int32_t e = expert[size_t(t * k + j)];
            bool repeated = false;
            for (int64_t i = 0; i < j; ++i) repeated = repeated || expert[size_t(t * k + i)] == e;
            if (e < 0 || e >= E || repeated)
                throw cuda_error("MoE routing gave token " + std::to_string(t) + " expert " + std::to_string(e) +
                                 (repeated ? " twice" : " (outside [0, " + std::to_string(E) + "))"));
            ++g.count[e];
        }
    std::vector<int64_t> next(size_t(E), 0);
    for (int64_t e = 1; e < E; ++e) next[size_t(e)] = next[size_t(e - 1)] + g.count[size_t(e - 1)];
    std::vector<int64_t> order(static_cast<size_t>(k));
    for (int64_t t = 0; t < n; ++t) {
        for (int64_t j = 0; j < k; ++j) order[size_t(j)] = j;
        std::sort(order.begin(), order.end(),
                  [&](int64_t a, int64_t b) { return expert[size_t(t * k + a)] < expert[size_t(t * k + b)]; });
        for (int64_t jj = 0; jj < k; ++jj) {
            const int64_t choice = t * k + order[size_t(jj)];
            const int64_t r = next[size_t(expert[size_t(choice)])]++;
            g.index[size_t(r)] = int32_t(t);
            g.index[size_t(rows + t * k + jj)] = int32_t(r);
            g.cweight[size_t(t * k + jj)] = weight[size_t(choice)];
        }
    }
    return g;
}

cudaError_t launch_group(const group_params& p, cudaStream_t s) {
    if (p.E < 1 || p.E > k_group_max_experts || p.k < 1 || p.k > k_max_top || p.k > p.E)
        return cudaErrorInvalidValue;
    if (p.n * p.k > int64_t(INT32_MAX) || !p.tiles) return cudaErrorInvalidValue;  // grouped rows are int32
    if (p.n == 0) return cudaMemsetAsync(p.count, 0, size_t(p.E + 1) * sizeof(int32_t), s);
    const int64_t tiles = (p.n + k_group_threads - 1) / k_group_threads;
    group_count_kernel<<<unsigned(tiles), k_group_threads, 0, s>>>(p);
    group_scan_kernel<<<1, k_group_max_experts, 0, s>>>(p, int(tiles));
    group_place_kernel<<<unsigned(tiles), k_group_threads, 0, s>>>(p);
    return cudaGetLastError();
}

int64_t group_scratch_ints(int64_t n, int64_t E) {
    return (n + k_group_threads - 1) / k_group_threads * (E + 1);
}

}  // namespace m1::cuda
