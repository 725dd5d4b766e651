// The decode step of the CUDA backend (n <= 8 new tokens), with no host synchronisation inside the step and, for
// n == 1, replayed from a CUDA graph captured once per state. The same layer order and fused kernels as
// cuda_backend::forward_chunk; what differs:
//   * every product is a GEMV (cuda_decode_gemv.cuh: bf16 or fp32 weights, fp32 activations, fp32 accumulation),
//     in both precisions: one weight read, more exact than the reference precision's hi + lo split; SiLU, the
//     output gate, SwiGLU and the experts' weighted sum run in the products' epilogues (11 launches a lightning
//     layer), and each GEMV may start during the previous kernel's tail (programmatic dependent launch);
//   * the MoE block routes and picks its experts on the device (moe_decode);
//   * softmax attention is flash-decoding over chunks of the cache (launch_attention_decode);
//   * the position comes from device memory, so one captured graph serves every step until the KV cache moves
//     (grow_cache reallocates: the graph is captured again) — the graph is keyed by the state's buffers.
//
// A tensor-parallel rank (decode_model::tp set) runs the same step over its local sizes (heads, KV heads, its part
// of the experts' intermediate dimension, its vocabulary slice) with the all-reduces of cuda_backend::forward_chunk,
// each enqueued on the decode stream: after the vocabulary-parallel embedding, after out_proj / o_proj, after the
// MoE block, and on the lightning output norm's sums of squares; the logits written are the rank's slice. Graphs:
// with a capturable collective (NCCL) each rank captures its step, all-reduces included, from its own thread
// (thread-local capture mode); the ranks then vote (tp_collective::all_agree) so that either every rank launches
// its graph or none does, as NCCL requires. The emulated collective synchronises on the host inside each
// all-reduce, which a capture cannot hold: its ranks run the plain step (no graph), every step.
//
// Ownership: cuda_decoder holds its own fixed-size workspace (never reallocated, so graphs stay valid) and views of
// the backend's weights (not owned: the backend outlives it). A state's graph lives in the state (decode_slot), so
// a clone gets its own. Thread-safety: one call at a time (the backend's mutex).
#pragma once

#include "engine/cuda/cuda_moe.cuh"
#include "engine/cuda/cuda_util.h"
#include "engine/model/config.h"

#include <memory>
#include <vector>

namespace m1::cuda {

class tp_collective;  // cuda_tp_collective.h

constexpr int64_t k_decode_max_tokens = 8;

// Views of one layer's device weights (layouts as in cuda_backend.cpp).
struct decode_layer {
    layer_kind kind = layer_kind::lightning;
    const float *input_norm = nullptr, *post_norm = nullptr, *out_norm = nullptr;
    const bf16 *proj = nullptr, *gate = nullptr, *out = nullptr;
    const float* router = nullptr;
    const bf16 *w13 = nullptr, *w2 = nullptr;
    const float* pw = nullptr;
};

// Tensor parallelism of one rank; collective null at tp_size 1.
struct decode_tp {
    tp_collective* collective = nullptr;  // not owned
    int rank = 0;
    int64_t vocab_begin = 0, vocab_end = 0;  // the embedding rows this rank holds
    int64_t attn_dim_total = 0;              // the whole model's nh·d: the lightning output norm's divisor
};

struct decode_model {
    model_config c;  // the rank's sizes (tp_plan::rank_config); the whole model's at tp_size 1
    const bf16* embed = nullptr;       // (V, H), V = c.vocab_size (the rank's slice under TP)
    const void* lm_head = nullptr;     // (V, H) bf16, or fp32 when lm_head_f32 (reference precision)
    bool lm_head_f32 = false;
    bool pdl = false;                  // GEMVs by programmatic dependent launch (cuda_decode_gemv.cuh)
    const float* final_norm = nullptr;
    const float* inv_freq = nullptr;
    std::vector<decode_layer> layers;
    decode_tp tp;
};

// Views of one sequence's device state.
struct decode_state {
    std::vector<float*> lightning;       // per layer, nullptr for softmax layers
    std::vector<void*> k_cache, v_cache;  // per layer, nullptr for lightning layers
    int64_t capacity = 0;                // rows of each KV cache
    int64_t pos = 0;
    bool kv_f32 = false;
};

class cuda_decoder {
public:
    cuda_decoder(decode_model m, cudaStream_t s);
    ~cuda_decoder();

    // n in [1, 8] tokens at st.pos; when logits is set, rows [first_row, n) of fp32 logits are written there
    // (V = c.vocab_size columns). Synchronises once, at the end (plus inside each emulated all-reduce). Throws
    // cuda_error.
    void step(const decode_state& st, const int32_t* ids, int64_t n, int64_t first_row, float* logits);
    // One token through the graph kept in `slot` (captured now when empty or made for other buffers); falls back
    // to step() when capture fails, e.g. on a stream already being captured by the caller. Under TP every rank
    // must call it for the same step (it votes with the others); a non-capturable collective always takes step().
    void step_graph(std::shared_ptr<void>& slot, const decode_state& st, int32_t id, float* logits);

private:
    struct graph;
    // Every kernel of one step; no allocation, no synchronisation. pos_dev null: the position is st.pos.
    void enqueue(const decode_state& st, const int32_t* d_ids, const int64_t* pos_dev, int64_t n, int64_t first_row,
                 float* part, float* d_logits);
    void all_reduce(float* x, int64_t count);  // the TP ranks' partial sums, on m_s; nothing at tp_size 1

    decode_model m_m;
    cudaStream_t m_s;
    int64_t m_proj_w = 0;
    device_buffer<int32_t> m_ids;
    device_buffer<float> m_x, m_h, m_b, m_g, m_m_out, m_proj, m_o, m_scratch, m_logits, m_part;
    device_buffer<float> m_ss;  // (n) TP: sums of squares of the lightning output rows
    moe_workspace m_moe;
    // TP: the first step on each set of communicators (tp_collective::epoch) runs without capture, so that NCCL sets
    // its connections up outside a graph. ~0: none yet.
    uint64_t m_tp_warm_epoch = ~uint64_t(0);
};

}  // namespace m1::cuda
