// The MiniMax-M1 model configuration (spec minimax-m1.md §2): read from config.json in either naming scheme (the
// official remote-code names such as attn_type_list / layernorm_*_alpha, or transformers' MiniMaxConfig names such as
// layer_types / *_alpha_factor), validated, and written back with the official names.
//
// Ownership: a plain value type. Thread-safety: const members may be used from any number of threads.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace m1 {

// Thrown for an unreadable or invalid config; what() names the file (or origin) and the field.
struct config_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// lightning = linear attention with a decaying state (attn_type_list 0, "linear_attention");
// softmax = ordinary attention with RoPE and a KV cache (attn_type_list 1, "full_attention").
enum class layer_kind { lightning, softmax };

struct model_config {
    int64_t vocab_size = 0;                // rows of embed_tokens / lm_head (200064 for M1, padded past the tokenizer)
    int64_t hidden_size = 0;               // H, width of the residual stream
    int64_t num_layers = 0;                // num_hidden_layers
    int64_t num_heads = 0;                 // query heads, both layer kinds
    int64_t num_kv_heads = 0;              // key/value heads of softmax layers (GQA)
    int64_t head_dim = 0;                  // d; num_heads * head_dim may differ from hidden_size
    int64_t rotary_dim = 0;                // RoPE width inside a head (<= head_dim, even)
    int64_t intermediate_size = 0;         // per expert
    int64_t num_experts = 0;               // num_local_experts
    int64_t experts_per_token = 0;         // num_experts_per_tok (top-k)
    int64_t shared_intermediate_size = 0;  // shared expert width; must be 0 (M1 has none)
    int64_t max_position_embeddings = 0;
    double rope_theta = 0;
    double rms_norm_eps = 1e-5;             // decoder + final norms (1e-5 for M1)
    double lightning_norm_eps = 1e-6;       // lightning output RMSNorm (not in config.json; remote code default)
    int64_t lightning_block = 256;          // 'block_size' in transformers' names; BLOCK constant in remote code
    std::vector<layer_kind> layers;         // from attn_type_list (0/1) or layer_types strings; size num_layers
    double attn_alpha_lightning = 1, attn_beta_lightning = 1;  // layernorm_linear_attention_alpha/beta
    double attn_alpha_softmax = 1, attn_beta_softmax = 1;      // layernorm_full_attention_alpha/beta
    double mlp_alpha = 1, mlp_beta = 1;                        // layernorm_mlp_alpha/beta
    bool postnorm = true;                   // must be true (false is refused: not implemented)
    std::string hidden_act = "silu";        // must be "silu"
    bool tie_word_embeddings = false;       // true: lm_head shares embed_tokens (no lm_head.weight tensor)

    // Reads and validates a config.json. Throws config_error naming the file and the field.
    static model_config from_json_file(const std::string& path);
    // origin is used in error messages (a file path, or a description such as "preset tiny").
    static model_config from_json(const nlohmann::json& j, const std::string& origin);
    // The official M1 names (attn_type_list, layernorm_*_alpha/beta, num_local_experts, ...), plus block_size when
    // it is not 256. from_json(to_json()) gives back an equal config.
    nlohmann::json to_json() const;

    // Throws config_error("<origin>: <field> ...") on the first inconsistency. from_json calls it.
    void validate(const std::string& origin) const;

    int64_t attn_dim() const { return num_heads * head_dim; }   // D, inner width of both attention kinds
    int64_t kv_dim() const { return num_kv_heads * head_dim; }  // width of k_proj / v_proj outputs
    layer_kind kind(int64_t layer) const { return layers.at(static_cast<size_t>(layer)); }
    int64_t count_layers(layer_kind k) const;
    // α and β of the attention residual of one layer (depend on its kind).
    double attn_alpha(int64_t layer) const;
    double attn_beta(int64_t layer) const;

    bool operator==(const model_config&) const = default;
};

}  // namespace m1
