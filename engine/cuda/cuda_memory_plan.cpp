#include "engine/cuda/cuda_memory_plan.h"

#include "engine/cuda/cuda_lightning.cuh"
#include "engine/tp/tp_plan.h"

#include <algorithm>
#include <cstdio>

namespace m1::cuda {

namespace {

std::string gb(size_t bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f GB", double(bytes) / 1e9);
    return text;
}

}  // namespace

std::string memory_plan::describe() const {
    return "weights " + gb(weights) + " + KV cache " + gb(kv_cache) + " (" + std::to_string(context) +
           " tokens) + lightning states " + gb(lightning) + " + workspace " + gb(workspace) + " (chunks of " +
           std::to_string(chunk) + " tokens) = " + gb(total());
}

memory_plan plan_memory(const model_config& c, int64_t context, int64_t chunk, int kv_bytes, int expert_bytes,
                        int head_bytes) {
    memory_plan p;
    p.context = context;
    p.chunk = chunk;
    const size_t H = size_t(c.hidden_size), D = size_t(c.attn_dim()), KV = size_t(c.kv_dim());
    const size_t E = size_t(c.num_experts), I = size_t(c.intermediate_size), V = size_t(c.vocab_size);
    const size_t d = size_t(c.head_dim), nh = size_t(c.num_heads), k = size_t(c.experts_per_token);
    const size_t n_soft = size_t(c.count_layers(layer_kind::softmax));
    const size_t n_light = size_t(c.num_layers) - n_soft;

    size_t w = V * H * (2 + size_t(head_bytes)) + H * 4;               // embeddings (bf16), LM head, final norm
    w += n_light * (3 * D * H + D * H + H * D) * 2 + n_light * D * 4;  // qkv, gate, out_proj; out norm
    w += n_soft * ((D + 2 * KV) * H + H * D) * 2;                      // q, k, v stacked; o_proj
    w += size_t(c.num_layers) * (2 * H * 4 + E * H * 4 + E * 3 * I * H * size_t(expert_bytes));  // norms, router, experts
    if (expert_bytes < 2) w += size_t(c.num_layers) * E * (2 * I + H) * 4;  // 8-bit experts: fp32 row scales
    p.weights = w;

    p.kv_cache = n_soft * size_t(context) * 2 * KV * size_t(kv_bytes);
    p.lightning = n_light * nh * d * d * 4;

    const size_t n = size_t(chunk), block = size_t(std::max<int64_t>(1, c.lightning_block));
    const size_t proj = std::max(3 * D, D + 2 * KV);
    size_t ws = n * H * 4 * 5;                       // x, h, b, g, m
    ws += n * proj * 4 + n * D * 4 * 2;              // projections, o, gate
    ws += 2 * n * std::max(H, D) * 2;                // bf16 GEMM inputs (hi, lo)
    ws += size_t(lightning_scratch_floats(int64_t(n), int64_t(nh), int64_t(d), int64_t(block))) * 4;  // 0: fused
    ws += n * E * 4 + n * k * (H * 4 + 2 * I * 4 + I * 4 + H * 4 + 2 * 2 * std::max(H, I) + 16);  // MoE
    ws += std::min(n, size_t(k_head_rows)) * V * 4 + n * 4;  // logits (k_head_rows at a time), ids
    p.workspace = ws;
    return p;
}

memory_plan plan_memory_tp(const model_config& c, int gpus, int64_t context, int64_t chunk, int kv_bytes,
                           int expert_bytes) {
    return plan_memory(tp::make_tp_plan(c, gpus).rank_config(c), context, chunk, kv_bytes, expert_bytes, 2);
}

int64_t choose_chunk(const model_config& c, int64_t context, size_t device_bytes, int kv_bytes, int expert_bytes,
                     int head_bytes) {
    const int64_t block = std::max<int64_t>(1, c.lightning_block);
    const int64_t longest = std::max<int64_t>(block, (std::max<int64_t>(context, 1) + block - 1) / block * block);
    int64_t chunk = block;
    for (int64_t want = k_auto_chunk_max; want >= block; want /= 2) {
        chunk = std::max(block, std::min(want, longest) / block * block);
        const memory_plan p = plan_memory(c, context, chunk, kv_bytes, expert_bytes, head_bytes);
        if (p.total() + k_auto_chunk_reserve <= device_bytes) return chunk;
    }
    return chunk;
}

void check_plan_fits(const memory_plan& plan, size_t device_bytes, const std::string& origin) {
    if (plan.total() <= device_bytes) return;
    std::string msg = origin + ": the model does not fit on this GPU: it needs " + plan.describe() + ", but only " +
                      gb(device_bytes) + " are free. Options: ";
    if (plan.weights > device_bytes)
        msg += "the weights alone are too large for one GPU (the full MiniMax-M1 needs ~912 GB of bf16 weights): use "
               "a smaller checkpoint (fewer layers or experts), or several GPUs (--backend cuda-tpN, tensor parallel; "
               "m1 inspect gives the memory per GPU), "
               "or the OpenAI-compatible cluster backend";
    else
        msg += "a shorter context (--context, KV cache " + gb(plan.kv_cache) +
               "), a smaller prefill chunk (workspace " + gb(plan.workspace) + "), or a smaller model";
    throw memory_plan_error(msg);
}

}  // namespace m1::cuda
