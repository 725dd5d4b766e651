// The CPU reference backend: the exact MiniMax-M1 forward pass (spec minimax-m1.md §4) in fp32 with OpenBLAS for
// every matrix product and std::thread over attention heads. Every other backend is tested against it.
//
// Per layer (postnorm residuals):  h = RMSNorm_in(x);  x' = α_attn·h + β_attn·Attention(h);
//                                  g = RMSNorm_post(x');  x = α_mlp·g + β_mlp·MoE(g)
// then logits = RMSNorm_final(x) · lm_headᵀ in fp32.
//
// Memory: the weights are held in fp32 (4 bytes per parameter), so this backend is meant for tiny and mid-size
// models (tests, demo, benchmarks), not for the full 456 B model.
// Ownership: the backend owns its fp32 weights; the checkpoint can be closed after construction. States made by
// new_state() are owned by the caller. Thread-safety: forward() on distinct states may run concurrently.
#pragma once

#include "engine/cpu/cpu_attention.h"
#include "engine/cpu/cpu_weights.h"
#include "engine/model/backend.h"

#include <memory>
#include <string>
#include <vector>

namespace m1::cpu {

struct cpu_options {
    int n_threads = 0;  // threads for per-head work; 0 = all cores
};

class cpu_state final : public backend_state {
public:
    int64_t n_past() const override { return pos; }
    std::unique_ptr<backend_state> clone() const override { return std::make_unique<cpu_state>(*this); }
    size_t bytes() const override;

    const void* owner = nullptr;                // the backend that made it
    int64_t pos = 0;                            // tokens processed
    std::vector<std::vector<float>> lightning;  // per layer: (nh, d, d) fp32 states; empty for softmax layers
    std::vector<kv_cache> kv;                   // per layer: the KV cache; empty for lightning layers
};

class cpu_backend final : public backend {
public:
    // Validates the checkpoint and converts its tensors to fp32. Throws checkpoint_error.
    explicit cpu_backend(const checkpoint& ck, cpu_options options = {});

    std::string name() const override { return "cpu"; }
    const model_config& config() const override { return m_config; }
    std::unique_ptr<backend_state> new_state() const override;
    void forward(backend_state& state, std::span<const int32_t> ids, logits_rows rows, float* logits) override;

    const model_weights& weights() const { return m_weights; }

private:
    model_config m_config;
    model_weights m_weights;
    std::vector<std::vector<float>> m_slopes;  // per layer: (nh) decay slopes; empty for softmax layers
    std::vector<float> m_inv_freq;             // (rotary_dim / 2)
    int m_threads;
};

}  // namespace m1::cpu
