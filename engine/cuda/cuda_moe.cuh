// The mixture-of-experts block on the GPU (CPU counterpart: engine/cpu/cpu_moe.h): router logits in fp32, softmax
// over all experts, top-k by probability (ties to the lower expert index), weights renormalised to sum to 1; SwiGLU
// experts y = w2 · (SiLU(w1 g) ⊙ (w3 g)) computed grouped by expert (one pair of cuBLAS products per expert that has
// tokens), contributions summed per token in ascending expert order, as the CPU reference adds them.
//
// Prefill groups the rows by expert on the device (launch_group) and copies only the E row counts back: cuBLAS takes
// each expert's row count from the host, so that is one synchronisation per MoE layer. Decode (moe_decode) keeps
// everything on the device.
//
// Dimension letters: n tokens, H hidden, E experts, k experts per token, I intermediate.
// Thread-safety: moe_forward uses the workspace it is given; one call per workspace at a time.
#pragma once

#include "engine/cuda/cuda_ops.cuh"
#include "engine/cuda/cuda_util.h"

#include <cstdint>
#include <vector>

namespace m1::cuda {

class stage_clock;

// One thread per token. logits (n, E) fp32 -> expert (n, k) by descending probability, weight (n, k).
struct route_params {
    const float* logits = nullptr;
    int64_t n = 0, E = 0, k = 0;
    int32_t* expert = nullptr;
    float* weight = nullptr;
};
cudaError_t launch_route(const route_params& p, cudaStream_t s);

// Rows grouped by expert, the order moe_forward's products and combine use: grouped row r belongs to expert e for
// r in [offset[e], offset[e] + count[e]), offset the exclusive prefix sum of count; within an expert, tokens in
// ascending order. index[r] (r < n·k) is the token grouped row r reads (gather); index[n·k + t·k + j] is the grouped
// row of token t's j-th choice in ascending expert order, and cweight[t·k + j] its routing weight (combine).
struct moe_grouping {
    std::vector<int32_t> count;  // (E)
    std::vector<int32_t> index;  // (2·n·k)
    std::vector<float> cweight;  // (n·k)
};

// The CPU counterpart of launch_group, from the routing's (n, k) experts and weights. Throws cuda_error naming the
// token when a choice is outside [0, E) or a token chooses one expert twice.
moe_grouping group_by_expert(const std::vector<int32_t>& expert, const std::vector<float>& weight, int64_t n,
                             int64_t E, int64_t k);

// The same grouping on the device (E <= 256, k <= 16), three launches over tiles of 1,024 tokens: count (E + 1)
// gets the row counts and, in count[E], the number of invalid choices (outside [0, E) or repeated within a token;
// then index and cweight are not written); index (2·n·k) and cweight (n·k) as in moe_grouping. tiles is scratch of
// group_scratch_ints(n, E) int32 (required).
struct group_params {
    const int32_t* expert = nullptr;  // (n, k)
    const float* weight = nullptr;    // (n, k)
    int64_t n = 0, E = 0, k = 0;
    int32_t* count = nullptr;
    int32_t* index = nullptr;
    float* cweight = nullptr;
    int32_t* tiles = nullptr;
};
int64_t group_scratch_ints(int64_t n, int64_t E);
cudaError_t launch_group(const group_params& p, cudaStream_t s);

struct moe_weights {
    const float* router = nullptr;  // (E, H) fp32
    const bf16* w13 = nullptr;      // (E, 2I, H): rows [0, I) = w1 (gate), rows [I, 2I) = w3 (up)
    const bf16* w2 = nullptr;       // (E, H, I)
    int64_t H = 0, E = 0, k = 0, I = 0;
};

// Device and host buffers reused across calls (grown as needed).
struct moe_workspace {
    device_buffer<float> logits;    // (n, E)
    device_buffer<int32_t> expert;  // (n, k)
    device_buffer<float> weight;    // (n, k)
    device_buffer<int32_t> count;   // (E + 1) rows per expert, then the invalid choices (launch_group)
    device_buffer<int32_t> tiles;   // launch_group's scratch
    device_buffer<int32_t> index;   // (n·k) gather: token of each grouped row, then (n, k) combine rows
    device_buffer<float> cweight;   // (n, k) combine weights, ascending expert per token
    device_buffer<float> xg;        // (n·k, H) grouped inputs
    device_buffer<float> y13;       // (n·k, 2I)
    device_buffer<float> act;       // (n·k, I)
    device_buffer<float> y;         // (n·k, H)
    device_buffer<bf16> cvt;        // bf16 GEMM inputs (hi, lo) of one expert
    device_buffer<bf16> xg16, y13_16, act16;  // fast prefill: the same three in bf16
    pinned_buffer<int32_t> h_count;  // (E + 1) the counts on the host
};

// Decode (n <= k_gemv_max_rows tokens): router GEMV, routing, one expert GEMV per (token, choice) reading its
// expert id from device memory with SwiGLU in its epilogue, and the w2 GEMV summing each token's experts in
// ascending expert order (the CPU reference's order) in its epilogue. fp32 activations throughout (no hi/lo split
// needed: one weight read, more exact). No host synchronisation and no allocation once moe_decode_reserve(ws, n)
// ran: capturable in a CUDA graph. pdl: the GEMVs use programmatic dependent launch (cuda_decode_gemv.cuh).
void moe_decode_reserve(const moe_weights& w, int64_t n, moe_workspace& ws);
void moe_decode(cudaStream_t s, const moe_weights& w, const float* g, int64_t n, float* m, moe_workspace& ws,
                bool pdl = false);

// g: (n, H) fp32 normed input; m: (n, H) written. split: expert inputs as bf16 hi + lo (see linear_act).
// clock: when given, an event after each step (router product, routing, grouping, the wait for the row counts,
// gather, expert products, SwiGLU, combine; cuda_stage_clock.h). combine false: m is not written and the expert rows
// stay in ws, for moe_combine or for a norm that sums them itself (moe_pending_combine). Throws cuda_error on a
// failed call.
void moe_forward(cublasHandle_t blas, cudaStream_t s, const moe_weights& w, const float* g, int64_t n, float* m,
                 moe_workspace& ws, bool split, stage_clock* clock = nullptr, bool combine = true);

// The combine that moe_forward(…, combine = false) left in ws for its n tokens (out unset): valid until ws is used
// again. moe_combine runs it into m (n, H).
combine_params moe_pending_combine(const moe_workspace& ws, const moe_weights& w, int64_t n);
void moe_combine(cudaStream_t s, const moe_weights& w, int64_t n, float* m, const moe_workspace& ws,
                 stage_clock* clock = nullptr);

}  // namespace m1::cuda
