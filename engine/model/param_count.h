// Parameter counts and memory estimates of a model (what `m1 inspect` prints; spec §10).
// Thread-safety: free functions without shared state.
#pragma once

#include "engine/model/checkpoint.h"
#include "engine/model/config.h"

#include <cstdint>
#include <vector>

namespace m1 {

struct param_counts {
    int64_t total = 0;               // every parameter of every tensor
    int64_t embeddings = 0;          // embed_tokens + lm_head (lm_head only when untied)
    int64_t experts = 0;             // all routed experts of all layers
    int64_t active = 0;              // used per token: all but the experts not chosen (k of E per layer)
    int64_t active_without_embeddings = 0;
    uint64_t bytes = 0;              // bytes of all tensors in their dtypes
};

// Counts over `tensors` (expected_tensors(c), or a checkpoint's real tensors with their real dtypes).
param_counts count_params(const model_config& c, const std::vector<tensor_spec>& tensors);

struct memory_estimate {
    int gpus = 1;                           // tensor-parallel degree
    uint64_t weight_bytes_per_gpu = 0;      // sharded tensors / gpus + replicated ones (norms, routers)
    uint64_t kv_bytes_per_token_per_gpu = 0;  // softmax layers, bf16 k and v; kv heads split, replicated past kv
    uint64_t state_bytes_per_sequence_per_gpu = 0;  // lightning layers, fp32 [heads, d, d] per layer
    // One sequence of `tokens` tokens.
    uint64_t total_for(int64_t tokens) const {
        return weight_bytes_per_gpu + kv_bytes_per_token_per_gpu * static_cast<uint64_t>(tokens) +
               state_bytes_per_sequence_per_gpu;
    }
};

// How vLLM-style tensor parallelism (spec §5) splits the model over `gpus` GPUs; gpus must divide num_heads.
memory_estimate estimate_memory(const model_config& c, const std::vector<tensor_spec>& tensors, int gpus);

}  // namespace m1
