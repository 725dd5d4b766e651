// The CUDA backend's memory planner: adds up what one GPU must hold for a model and a context before anything is
// allocated, and refuses with a message that names the numbers and the ways out when it does not fit.
//
//   weights    every tensor in bf16, except the router and the LM head in fp32 and the norm weights in fp32
//   KV cache   softmax layers × context × 2 (k, v) × kv_heads·head_dim × kv_bytes (2: bf16, 4: fp32)
//   lightning  lightning layers × heads × head_dim² × 4 bytes (fp32 states), per sequence
//   workspace  activations of one prefill chunk, the lightning block scratch, the logits of one chunk
//
// Thread-safety: pure functions.
#pragma once

#include "engine/model/config.h"

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace m1::cuda {

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

memory_plan plan_memory(const model_config& c, int64_t context, int64_t chunk, int kv_bytes = 2);

// Throws memory_plan_error when plan.total() exceeds device_bytes (the free memory of the GPU). The message says
// what does not fit, by how much, and the options: a shorter context, a smaller prefill chunk, a smaller model
// (fewer layers or experts), or more GPUs (the full 456 B MiniMax-M1 needs ~912 GB of bf16 weights, more than any
// single GPU holds).
void check_plan_fits(const memory_plan& plan, size_t device_bytes, const std::string& origin);

}  // namespace m1::cuda
