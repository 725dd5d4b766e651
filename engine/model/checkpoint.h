// A MiniMax-M1 checkpoint directory in the official layout (spec minimax-m1.md §3): config.json plus either
// model.safetensors.index.json over any number of shards (any shard names; tensors are always resolved through the
// index's weight_map) or one model.safetensors. Shard headers are parsed at open; a shard's data is memory-mapped
// (read-only, POSIX mmap) the first time one of its tensors is asked for, so only the shards a backend touches are
// mapped.
//
// Layout: every tensor row-major, PyTorch Linear convention [out_features, in_features] (y = x · Wᵀ).
// Ownership: checkpoint owns its mappings; a tensor_view points into them and is valid while the checkpoint lives.
// Thread-safety: all const methods may be called from several threads at once (shard mapping is locked).
#pragma once

#include "engine/model/config.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace m1 {

enum class dtype { bf16, f16, f32 };

size_t dtype_size(dtype t);          // bytes per element: 2, 2, 4
const char* dtype_name(dtype t);     // the safetensors spelling: "BF16", "F16", "F32"

struct tensor_view {
    std::string name;
    dtype type = dtype::f32;
    std::vector<int64_t> shape;
    const std::byte* data = nullptr;  // little-endian elements, row-major; owned by the checkpoint
    size_t bytes = 0;
    int64_t numel() const;
};

// Thrown for anything wrong with a checkpoint; what() names the file or tensor and the problem.
struct checkpoint_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// One tensor the config calls for (name, dtype, shape), in checkpoint order: embeddings, then per layer
// input_layernorm, attention, post_attention_layernorm, router, experts (w1, w3, w2); then model.norm and lm_head.
struct tensor_spec {
    std::string name;
    dtype type = dtype::bf16;
    std::vector<int64_t> shape;
    int64_t numel() const;
    size_t bytes() const { return static_cast<size_t>(numel()) * dtype_size(type); }
};

// Tensor names of the official layout, for code that looks tensors up.
namespace tensor_names {
inline constexpr const char* embed_tokens = "model.embed_tokens.weight";  // [vocab, H]
inline constexpr const char* final_norm = "model.norm.weight";            // [H]
inline constexpr const char* lm_head = "lm_head.weight";                  // [vocab, H]
// "model.layers.{layer}.{rest}", e.g. layer(3, "self_attn.qkv_proj.weight").
std::string layer(int64_t layer, const std::string& rest);
// "model.layers.{layer}.block_sparse_moe.experts.{expert}.{w}.weight" with w one of "w1", "w2", "w3".
std::string expert(int64_t layer, int64_t expert, const std::string& w);
}  // namespace tensor_names

// Every tensor a checkpoint of this config must hold, with the dtype the official files use (router fp32, the rest
// bf16). Shapes per spec §3:
//   lightning: qkv_proj [3·D, H] (per-head interleaved q|k|v), output_gate [D, H], norm [D], out_proj [H, D]
//   softmax:   q_proj [D, H], k_proj/v_proj [kv·d, H], o_proj [H, D]
//   MoE:       gate [E, H] (fp32), experts.{e}.w1/w3 [I, H], w2 [H, I]
std::vector<tensor_spec> expected_tensors(const model_config& c);

class checkpoint {
public:
    // Parses dir/config.json, the index (or the single model.safetensors) and every shard header; checks that each
    // shard file exists, that its header is valid JSON with BF16/F16/F32 tensors, and that every tensor's bytes lie
    // inside the file. Maps nothing yet. Throws checkpoint_error (config errors are rethrown as checkpoint_error).
    static std::unique_ptr<checkpoint> open(const std::string& dir);
    ~checkpoint();
    checkpoint(const checkpoint&) = delete;
    checkpoint& operator=(const checkpoint&) = delete;

    const std::string& dir() const;
    const model_config& config() const;
    bool has(const std::string& name) const;
    // Maps the tensor's shard on first use. Throws checkpoint_error when the name is not in the checkpoint.
    tensor_view tensor(const std::string& name) const;
    std::vector<std::string> names() const;      // sorted
    std::vector<tensor_spec> specs() const;      // name, dtype and shape of every tensor, sorted by name; maps nothing
    std::vector<std::string> shard_files() const;  // file names (not paths), sorted
    size_t total_bytes() const;                    // sum of all tensor data bytes

    // Checks the checkpoint against expected_tensors(config()): every expected tensor present with its shape, no
    // unexpected tensors. Dtypes: any of BF16/F16/F32 is accepted for any tensor (the backends convert; other dtypes
    // are already refused by open); with require_official_dtypes, each tensor must have the dtype of spec §3 (router
    // F32, everything else BF16). Throws checkpoint_error listing the problems, one per line (the first 40, then
    // how many more).
    void validate(bool require_official_dtypes = false) const;

private:
    struct impl;
    explicit checkpoint(std::unique_ptr<impl> p);
    std::unique_ptr<impl> m;
};

// Converts bf16/f16/f32 elements to f32; out has t.numel() elements.
void to_float(const tensor_view& t, float* out);
std::vector<float> to_float(const tensor_view& t);

}  // namespace m1
