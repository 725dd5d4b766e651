// The CUDA backend's memory planner: adds up what one GPU must hold for a model and a context before anything is
// allocated, and refuses with a message that names the numbers and the ways out when it does not fit.
//
//   weights    every tensor in bf16, except the router and the LM head in fp32 and the norm weights in fp32
//   KV cache   softmax layers × context × 2 (k, v) × kv_heads·head_dim × kv_bytes (2: bf16, 4: fp32)
//   lightning  lightning layers × heads × head_dim² × 4 bytes (fp32 states), per sequence
//   workspace  activations of one prefill chunk, the lightning block scratch, the logits of one chunk
//
// Several GPUs (tensor parallelism, engine/tp/tp_plan.h, cuda_tp_backend.h): plan_memory_tp() is the plan of ONE GPU,
// i.e. plan_memory() of the rank's config: 1/TP of the heads, kv heads (or one replicated kv head when TP > kv heads),
// expert intermediate rows and vocabulary; norms and router replicated; the activations of the residual stream
// (n, H) whole on every GPU. Full MiniMax-M1 (80 layers, 32 experts × 9216, 200064 vocabulary) per GPU:
//   TP 8, bf16 experts:  ~114 GB weights per GPU (experts 870 GB / 8 = 109 GB): fits 8 × H200 (139 GB usable)
//                        with ~20 GB per GPU left for KV cache (5 KB per token per GPU at bf16) and workspace.
//   TP 4, bf16 experts:  ~228 GB per GPU: does not fit 4 × H200.
//   TP 4, 8-bit experts (expert_bytes = 1: int8 or fp8 e4m3 weights with one fp32 scale per output row, dequantised
//                        to bf16 tiles inside the expert GEMM): experts 435 GB / 4 = 109 GB + 1.4 MB of row scales per
//                        layer, attention, embeddings and LM head ~45 GB / 4 = 11 GB → ~120 GB per GPU, leaving
//                        ~19 GB per GPU: ~1M tokens of bf16 KV cache (10 softmax layers × 2 × 2 kv heads × 128 ×
//                        2 B = 10 KB per token per GPU) with a 2K-token prefill chunk. The planner accounts for it;
//                        the 8-bit expert kernels themselves are not implemented yet.
//
// Thread-safety: pure functions.
#pragma once

#include "engine/model/config.h"

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace m1::cuda {

// Rows of logits the backend computes and downloads at a time when a caller asks for every row's (a chunk's whole
// logits would take 26 GB of workspace at M1's vocabulary and 32,768 tokens).
constexpr int64_t k_head_rows = 2048;

struct memory_plan {
    int64_t context = 0;   // tokens the KV cache is planned for
    int64_t chunk = 0;     // tokens per prefill chunk (workspace size)
    size_t weights = 0;    // bytes
    size_t kv_cache = 0;   // bytes, one sequence at `context` tokens
    size_t lightning = 0;  // bytes, one sequence
    size_t workspace = 0;  // bytes
    size_t total() const { return weights + kv_cache + lightning + workspace; }
    std::string describe() const;  // "weights 99.1 GB + KV cache 2.1 GB + ... = ... GB"
};

struct memory_plan_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// expert_bytes: 2 (bf16 expert weights, what the backend loads) or 1 (the planned 8-bit expert option: one byte per
// weight plus one fp32 scale per output row of w1, w3 and w2). head_bytes: the LM head's element size, 2 when the
// checkpoint holds it in bf16 (the official files; the backend keeps it so), 4 for an fp32 tensor.
memory_plan plan_memory(const model_config& c, int64_t context, int64_t chunk, int kv_bytes = 2, int expert_bytes = 2,
                        int head_bytes = 2);

// The plan of one GPU of `gpus` tensor-parallel GPUs (see above), for the official dtypes (bf16 LM head). Throws tp::tp_error (engine/tp/tp_plan.h) when the
// model does not split over that many GPUs.
memory_plan plan_memory_tp(const model_config& c, int gpus, int64_t context, int64_t chunk, int kv_bytes = 2,
                           int expert_bytes = 2);

// The prefill chunk when none is asked for (cuda_options::max_chunk = 0): the largest of k_auto_chunk_max, half of
// it, a quarter, ... (rounded down to a multiple of the lightning block, at least one block, at most the context
// rounded up to a block) whose plan leaves k_auto_chunk_reserve of device_bytes free. Longer chunks feed the
// products more rows at once: W16's 131,072-token prefill on an H200 went from 5.54 s in chunks of 8,192 to 5.39 s
// in chunks of 16,384 (session 5), and from 5.075 s to 5.025 s in chunks of 32,768 (session 7; same binary and GPU;
// tests/bench/RESULTS.md). W16 keeps 32,768 up to a 1M-token context on an H200. When none fits, the smallest, which
// check_plan_fits then refuses with its message.
constexpr int64_t k_auto_chunk_max = 32768;
constexpr size_t k_auto_chunk_reserve = size_t(2) << 30;
int64_t choose_chunk(const model_config& c, int64_t context, size_t device_bytes, int kv_bytes = 2,
                     int expert_bytes = 2, int head_bytes = 2);

// Throws memory_plan_error when plan.total() exceeds device_bytes (the free memory of the GPU). The message says
// what does not fit, by how much, and the options: a shorter context, a smaller prefill chunk, a smaller model
// (fewer layers or experts), or more GPUs (the full 456 B MiniMax-M1 needs ~912 GB of bf16 weights, more than any
// single GPU holds; see plan_memory_tp).
void check_plan_fits(const memory_plan& plan, size_t device_bytes, const std::string& origin);

}  // namespace m1::cuda
