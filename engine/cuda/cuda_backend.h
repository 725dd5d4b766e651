// The CUDA backend on one GPU: the MiniMax-M1 forward pass of engine/cpu/cpu_backend.h with weights resident in
// bf16 (router fp32; the LM head in the checkpoint's dtype: bf16 for the official files, whose values an fp32 copy
// would only repeat), activations in fp32 between kernels, lightning states fp32 on the GPU.
// Two precisions (cuda_options::precision):
//   reference  GEMM inputs as bf16 hi + lo pairs (two products, ~16 significant bits), KV cache fp32. Matches the
//              fp32 CPU reference closely enough that MoE routing near-ties do not flip (spec §11.16); the default,
//              and what `m1 logits` uses to compare backends.
//   fast       GEMM inputs rounded to bf16 (one product), KV cache bf16: half the KV memory and GEMM time; logits
//              agree with the reference except where a near-tie flips an expert choice.
//
// Per layer:  h = RMSNorm_in(α_mlp·g + β_mlp·m)      (the previous layer's residual, fused into the norm)
//             b = Attention(h);   g = RMSNorm_post(α_attn·h + β_attn·b);   m = MoE(g)
// then logits = RMSNorm_final(α_mlp·g + β_mlp·m) · lm_headᵀ with fp32 activations and accumulation (spec §4.6: a GEMV
// for up to 8 rows, exact fp32 math on a bf16 head; longer calls of a bf16 head feed the activations as bf16 hi + lo).
//
// Long calls are split into chunks of options.max_chunk tokens (a multiple of the lightning block, so the block
// boundaries and hence the numbers are those of one call). Before anything is allocated, the memory planner
// (cuda_memory_plan.h) checks that weights + KV cache for options.context + states + workspace fit in the GPU's
// free memory, and refuses with a clear message otherwise. The KV cache of a state grows on demand.
//
// Ownership: the backend owns its device weights, stream, cuBLAS handle and workspace; states made by new_state()
// are owned by the caller and hold their own device memory (clone() copies it on the GPU).
// Thread-safety: forward() calls are serialised by a mutex (they share the workspace); states may be created,
// cloned and destroyed from any thread.
#pragma once

#include "engine/cuda/cuda_memory_plan.h"
#include "engine/cuda/cuda_moe.cuh"
#include "engine/cuda/cuda_tp_slice.h"
#include "engine/cuda/cuda_util.h"
#include "engine/model/backend.h"
#include "engine/model/checkpoint.h"

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace m1::cuda {

class tp_collective;  // cuda_tp_collective.h
class cuda_decoder;   // cuda_decode.h

enum class cuda_precision { reference, fast };

// A tensor-parallel rank's prefill chunk when cuda_options::max_chunk is 0: every rank must cut the same chunks, so
// it is not chosen from each GPU's free memory as a single GPU's is.
constexpr int64_t k_tp_chunk = 4096;

struct cuda_options {
    int device = 0;
    cuda_precision precision = cuda_precision::reference;
    int64_t context = 0;       // tokens the memory plan reserves KV cache for (0: min(max_position_embeddings, 128K))
    // Tokens per internal prefill chunk, rounded down to a multiple of the lightning block. 0: the longest that the
    // free memory allows, up to 32,768 (choose_chunk in cuda_memory_plan.h), or k_tp_chunk for a tensor-parallel
    // rank; the plan() says which was taken.
    int64_t max_chunk = 0;
    // Tensor parallelism (cuda_tp_backend.h runs the ranks): this backend is rank tp_rank of tp_size, holds only its
    // slice of the weights (engine/tp/tp_plan.h), keeps only its heads' states and KV cache, and sums partial results
    // through `collective` (not owned; required when tp_size > 1). Its forward() then writes the rank's
    // (rows, vocab_size / tp_size) slice of the logits.
    int tp_rank = 0, tp_size = 1;
    tp_collective* collective = nullptr;
    // Steps of at most 8 tokens take the decode path of cuda_decode.h: GEMV products, device-side MoE routing,
    // flash-decoding, no host synchronisation inside; single tokens replay a per-state CUDA graph (a TP rank: only
    // over NCCL; emulated ranks synchronise inside their all-reduces and run the step without a graph).
    bool decode_kernels = true;
    bool decode_graphs = true;
    // Rows of logits computed and downloaded at a time when every row's are asked for (0 or more than k_head_rows:
    // k_head_rows, what the memory plan counts).
    int64_t head_rows = 0;
};

class cuda_state final : public backend_state {
public:
    int64_t n_past() const override { return pos; }
    std::unique_ptr<backend_state> clone() const override;
    size_t bytes() const override;

    struct kv {
        device_buffer<char> k, v;  // (capacity, KV) post-RoPE keys, values; kv_elem bytes per element
        int64_t capacity = 0;
    };
    const void* owner = nullptr;
    int device = 0;  // the GPU its buffers live on (allocations follow the calling thread's current device)
    int64_t pos = 0;
    int64_t kv_width = 0;                         // KV elements per cached token
    int64_t kv_elem = 2;                          // 2 (bf16) or 4 (fp32)
    std::vector<device_buffer<float>> lightning;  // per layer: (nh, d, d); empty for softmax layers
    std::vector<kv> cache;                        // per layer; empty for lightning layers
    std::shared_ptr<void> decode_slot;            // its decode graph (cuda_decode.h); clone() leaves it empty
};

class cuda_backend final : public backend {
public:
    // Plans memory, then uploads the checkpoint's tensors (validated against the config). Throws checkpoint_error,
    // memory_plan_error or cuda_error, each naming the problem.
    explicit cuda_backend(const checkpoint& ck, cuda_options options = {});
    // Seeded random weights generated on the GPU, equal to those `m1 make-model --seed` writes (model_presets.h):
    // for benchmarks of configurations too large for disk. Throws config_error, memory_plan_error or cuda_error.
    cuda_backend(const model_config& c, uint64_t seed, cuda_options options = {});
    ~cuda_backend() override;

    std::string name() const override { return "cuda"; }
    const model_config& config() const override { return m_config; }
    std::unique_ptr<backend_state> new_state() const override;
    void forward(backend_state& state, std::span<const int32_t> ids, logits_rows rows, float* logits) override;

    const memory_plan& plan() const { return m_plan; }
    // Switches the decode path of cuda_options (benchmarks compare them on one set of weights).
    void set_decode_path(bool kernels, bool graphs) {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_options.decode_kernels = kernels;
        m_options.decode_graphs = graphs;
    }
    // The sizes this rank computes with (heads, kv heads, intermediate, vocabulary); config() at tp_size 1.
    const model_config& rank_config() const { return m_local; }
    bool tensor_parallel() const { return m_options.tp_size > 1; }

private:
    struct layer;
    struct workspace;
    // A source of weights: writes the given part of a tensor (the rank's slice; tensor_part{} is all of it).
    using put16_fn =
        std::function<void(device_buffer<bf16>&, size_t offset, const std::string& name, const tensor_part&)>;
    using put32_fn = std::function<void(device_buffer<float>&, const std::string& name, const tensor_part&)>;
    void setup(const std::string& origin, bool head16);       // plan (refuses before allocating), stream, cuBLAS
    void load(const put16_fn& put16, const put32_fn& put32);  // every tensor, through the given source
    void forward_chunk(cuda_state& st, const int32_t* ids, int64_t n, bool want_logits, int64_t first_row,
                       float* logits);
    void grow_cache(cuda_state& st, int64_t tokens) const;
    void decode(cuda_state& st, std::span<const int32_t> ids, logits_rows rows, float* logits);  // cuda_decode.h
    void all_reduce(float* x, int64_t count);  // the partial sums of the TP ranks; nothing at tp_size 1
    void tp_embed(int64_t n);                  // vocabulary-parallel embedding of ws.ids into ws.x, all-reduced
    void tp_out_norm(const float* w, int64_t n, int64_t dim);  // the lightning output RMSNorm over all ranks' dims

    model_config m_config;
    model_config m_local;  // the rank's sizes (tp_plan::rank_config); m_config at tp_size 1
    tp::tp_plan m_tp;
    tp::rank_slice m_slice;  // what this rank owns
    cuda_options m_options;
    memory_plan m_plan;
    std::unique_ptr<cuda_stream> m_stream;
    std::unique_ptr<cublas_handle> m_blas;
    std::vector<layer> m_layers;
    device_buffer<bf16> m_embed;        // (V, H)
    bool m_lightning_bf16 = true;  // fast-precision prefill feeds lightning bf16 q/k/v (M1_LIGHTNING_BF16=0: fp32)
    bool m_head16 = false;              // the LM head is held in bf16 (m_lm_head16) rather than fp32 (m_lm_head)
    device_buffer<float> m_lm_head;     // (V, H) fp32
    device_buffer<bf16> m_lm_head16;    // (V, H) bf16
    device_buffer<float> m_final_norm;  // (H)
    device_buffer<float> m_inv_freq;    // (rotary_dim / 2)
    std::unique_ptr<workspace> m_ws;
    std::unique_ptr<cuda_decoder> m_decoder;  // made on the first decode step
    std::mutex m_mutex;
};

}  // namespace m1::cuda
