#include "engine/model/param_count.h"

#include <algorithm>

namespace m1 {

namespace {

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

bool is_expert(const std::string& name) { return name.find(".block_sparse_moe.experts.") != std::string::npos; }

// Tensors every rank holds whole under tensor parallelism: the decoder norms, the final norm and the routers.
// (The lightning output norm is sliced with its heads, so it is not among them.)
bool is_replicated(const std::string& name) {
    return ends_with(name, "input_layernorm.weight") || ends_with(name, "post_attention_layernorm.weight") ||
           name == tensor_names::final_norm || ends_with(name, "block_sparse_moe.gate.weight");
}

// The softmax layers' k and v projections follow the KV heads: split, or replicated when TP > KV heads.
bool is_kv_projection(const std::string& name) {
    return ends_with(name, "self_attn.k_proj.weight") || ends_with(name, "self_attn.v_proj.weight");
}

}  // namespace

param_counts count_params(const model_config& c, const std::vector<tensor_spec>& tensors) {
    param_counts p;
    for (const tensor_spec& t : tensors) {
        const int64_t n = t.numel();
        p.total += n;
        p.bytes += t.bytes();
        if (t.name == tensor_names::embed_tokens || t.name == tensor_names::lm_head) p.embeddings += n;
        if (is_expert(t.name)) p.experts += n;
    }
    // Each token runs experts_per_token of num_experts experts in every layer.
    const int64_t active_experts = p.experts / c.num_experts * c.experts_per_token;
    p.active = p.total - p.experts + active_experts;
    p.active_without_embeddings = p.active - p.embeddings;
    return p;
}

memory_estimate estimate_memory(const model_config& c, const std::vector<tensor_spec>& tensors, int gpus) {
    memory_estimate m;
    m.gpus = gpus;
    const uint64_t g = static_cast<uint64_t>(gpus);
    // KV heads are split while there are enough of them, replicated past that (one head per rank at least).
    const uint64_t kv_heads_per_gpu = static_cast<uint64_t>(std::max<int64_t>(1, c.num_kv_heads / gpus));
    uint64_t sharded = 0, replicated = 0, kv_projections = 0;
    for (const tensor_spec& t : tensors) {
        if (is_replicated(t.name)) replicated += t.bytes();
        else if (is_kv_projection(t.name)) kv_projections += t.bytes();
        else sharded += t.bytes();
    }
    m.weight_bytes_per_gpu = sharded / g + replicated +
                             kv_projections / static_cast<uint64_t>(c.num_kv_heads) * kv_heads_per_gpu;
    m.kv_bytes_per_token_per_gpu = static_cast<uint64_t>(c.count_layers(layer_kind::softmax)) * 2 * kv_heads_per_gpu *
                                   static_cast<uint64_t>(c.head_dim) * 2;
    const uint64_t heads_per_gpu = static_cast<uint64_t>(c.num_heads) / g;
    m.state_bytes_per_sequence_per_gpu = static_cast<uint64_t>(c.count_layers(layer_kind::lightning)) * heads_per_gpu *
                                         static_cast<uint64_t>(c.head_dim * c.head_dim) * 4;
    return m;
}

}  // namespace m1
