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

void moe_forward(cublasHandle_t blas, cudaStream_t s, const moe_weights& w, const float* g, int64_t n, float* m,
                 moe_workspace& ws, bool split, stage_clock* clock) {
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
    ws.h_expert.resize(size_t(rows));
    ws.h_weight.resize(size_t(rows));
    check(cudaMemcpyAsync(ws.h_expert.data(), ws.expert.data(), size_t(rows) * 4, cudaMemcpyDeviceToHost, s),
          "routing download");
    check(cudaMemcpyAsync(ws.h_weight.data(), ws.weight.data(), size_t(rows) * 4, cudaMemcpyDeviceToHost, s),
          "routing download");
    check(cudaStreamSynchronize(s), "routing synchronisation");

    // Group: rows of expert 0 first (tokens ascending), then expert 1, ... count[e] rows from offset[e].
    std::vector<int64_t> count(size_t(E), 0), offset(size_t(E) + 1, 0);
    for (int32_t e : ws.h_expert) {
        if (e < 0 || e >= E) throw cuda_error("MoE routing produced expert " + std::to_string(e));
        ++count[size_t(e)];
    }
    for (int64_t e = 0; e < E; ++e) offset[size_t(e + 1)] = offset[size_t(e)] + count[size_t(e)];
    ws.h_index.assign(size_t(2 * rows), 0);
    ws.h_cweight.assign(size_t(rows), 0.0f);
    std::vector<int64_t> next(offset.begin(), offset.end() - 1);
    std::vector<int32_t> order(static_cast<size_t>(k));
    for (int64_t t = 0; t < n; ++t) {
        // This token's choices in ascending expert order (the order the CPU reference adds them in).
        for (int64_t j = 0; j < k; ++j) order[size_t(j)] = int32_t(j);
        std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
            return ws.h_expert[size_t(t * k + a)] < ws.h_expert[size_t(t * k + b)];
        });
        for (int64_t j = 0; j < k; ++j) {
            const int64_t choice = t * k + order[size_t(j)];
            const int32_t e = ws.h_expert[size_t(choice)];
            const int64_t r = next[size_t(e)]++;
            ws.h_index[size_t(r)] = int32_t(t);                 // gather: grouped row r reads token t
            ws.h_index[size_t(rows + t * k + j)] = int32_t(r);  // combine: token t's j-th term is row r
            ws.h_cweight[size_t(t * k + j)] = ws.h_weight[size_t(choice)];
        }
    }
    check(cudaMemcpyAsync(ws.index.data(), ws.h_index.data(), size_t(2 * rows) * 4, cudaMemcpyHostToDevice, s),
          "grouping upload");
    check(cudaMemcpyAsync(ws.cweight.data(), ws.h_cweight.data(), size_t(rows) * 4, cudaMemcpyHostToDevice, s),
          "grouping upload");
    mark("MoE grouping on the host (download, sort, upload)");
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
            if (count[size_t(e)] > 0)
                linear_bf16_out(blas, ws.xg16.data() + offset[size_t(e)] * H, count[size_t(e)], H,
                                w.w13 + e * 2 * I * H, 2 * I, ws.y13_16.data() + offset[size_t(e)] * 2 * I);
        mark("expert w1/w3 products");
        check(launch_swiglu_bf16(ws.y13_16.data(), ws.act16.data(), rows, I, s), "SwiGLU kernel (bf16)");
        mark("SwiGLU");
        for (int64_t e = 0; e < E; ++e)
            if (count[size_t(e)] > 0)
                linear_bf16(blas, ws.act16.data() + offset[size_t(e)] * I, count[size_t(e)], I, w.w2 + e * H * I, H,
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
            if (count[size_t(e)] > 0)
                linear_act(blas, s, ws.xg.data() + offset[size_t(e)] * H, count[size_t(e)], H, w.w13 + e * 2 * I * H,
                           2 * I, ws.y13.data() + offset[size_t(e)] * 2 * I, ws.cvt.data(), split);
        mark("expert w1/w3 products");
        check(launch_swiglu(ws.y13.data(), ws.act.data(), rows, I, s), "SwiGLU kernel");
        mark("SwiGLU");
        for (int64_t e = 0; e < E; ++e)
            if (count[size_t(e)] > 0)
                linear_act(blas, s, ws.act.data() + offset[size_t(e)] * I, count[size_t(e)], I, w.w2 + e * H * I, H,
                           ws.y.data() + offset[size_t(e)] * H, ws.cvt.data(), split);
        mark("expert w2 products");
    }
    check(launch_combine({ws.y.data(), ws.index.data() + rows, ws.cweight.data(), n, k, H, m}, s),
          "MoE combine kernel");
    mark("MoE combine");
    // The host vectors above are read by the async uploads: wait before the next call may overwrite them.
    check(cudaStreamSynchronize(s), "MoE synchronisation");
    mark("MoE closing synchronisation (host)");
}

}  // namespace m1::cuda
