// Tensor parallelism emulated on the CPU: an m1::backend that holds the weight slices of TP ranks (cut from a
// checkpoint per tp_plan) and runs every rank one after another in fp32, combining the partial results exactly where
// NCCL collectives would (tp_collectives.h):
//   embedding      vocabulary-parallel: each rank looks up the ids it owns (zeros elsewhere), all-reduce;
//   attention      per rank on its heads (lightning: tp_lightning.h; softmax: the CPU backend's layer with the
//                  rank's config), all-reduce of the row-parallel out_proj / o_proj outputs;
//   MoE            per rank on its intermediate slice of every expert (router replicated), all-reduce of w2's output;
//   LM head        each rank's vocabulary rows, all-gather (concatenation) of the logits.
// Work that real ranks replicate (norms, residual updates) is computed once here: it is identical on every rank.
// Its logits equal the CPU backend's up to fp32 summation order; that is what it exists to show before NCCL.
//
// Ownership: the backend owns its rank slices (the checkpoint can be closed after construction); states made by
// new_state() are owned by the caller and hold per-rank lightning states and KV caches (replicated kv heads are
// held by every rank that uses them, as on real GPUs). Thread-safety: forward() on distinct states may run
// concurrently.
#pragma once

#include "engine/cpu/cpu_attention.h"
#include "engine/cpu/cpu_backend.h"
#include "engine/model/backend.h"
#include "engine/tp/tp_plan.h"
#include "engine/tp/tp_weights.h"

#include <memory>
#include <string>
#include <vector>

namespace m1::tp {

struct tp_rank_state {
    std::vector<std::vector<float>> lightning;  // per layer: (nh/TP, d, d); empty for softmax layers
    std::vector<cpu::kv_cache> kv;              // per layer: the rank's kv heads; empty for lightning layers
};

class tp_emulated_state final : public backend_state {
public:
    int64_t n_past() const override { return pos; }
    std::unique_ptr<backend_state> clone() const override { return std::make_unique<tp_emulated_state>(*this); }
    size_t bytes() const override;

    const void* owner = nullptr;
    int64_t pos = 0;
    std::vector<tp_rank_state> ranks;  // size TP
};

class tp_emulated_backend final : public backend {
public:
    // Plans the split first (throws tp_error when tp_size does not fit the model), then loads the checkpoint in fp32
    // and cuts every rank's slices. Throws checkpoint_error for an invalid checkpoint.
    tp_emulated_backend(const checkpoint& ck, int tp_size, cpu::cpu_options options = {});

    std::string name() const override { return "cpu-tp" + std::to_string(m_plan.size); }
    const model_config& config() const override { return m_config; }
    std::unique_ptr<backend_state> new_state() const override;
    void forward(backend_state& state, std::span<const int32_t> ids, logits_rows rows, float* logits) override;

    const tp_plan& plan() const { return m_plan; }
    const rank_weights& rank(int r) const { return m_ranks.at(static_cast<size_t>(r)); }

private:
    model_config m_config;
    tp_plan m_plan;
    model_config m_rank_config;  // the per-rank sizes (heads, kv heads, intermediate, vocabulary)
    std::vector<rank_weights> m_ranks;
    std::vector<std::vector<float>> m_slopes;  // per layer: (nh) slopes of ALL heads; empty for softmax layers
    std::vector<float> m_inv_freq;             // (rotary_dim / 2)
    int m_threads;
};

}  // namespace m1::tp
