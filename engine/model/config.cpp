// Reading, validating and writing config.json in the two naming schemes of spec §2.1 and §2.3.
#include "engine/model/config.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

namespace m1 {

namespace {

using json = nlohmann::json;

// Which scheme a config.json uses decides the defaults of missing fields (spec §2.2, §2.3).
enum class scheme { remote, hf_native };

scheme detect_scheme(const json& j) {
    if (j.contains("model_type") && j["model_type"].is_string()) {
        const std::string t = j["model_type"].get<std::string>();
        if (t == "minimax") return scheme::hf_native;
        if (t == "minimax_m1" || t == "minimax_text_01") return scheme::remote;
    }
    if (j.contains("layer_types") || j.contains("full_attn_alpha_factor") || j.contains("rope_parameters"))
        return scheme::hf_native;
    return scheme::remote;
}

// Looks up the first of `names` that is present and not null; records which name was used for error messages.
class field_reader {
public:
    field_reader(const json& j, std::string origin) : m_j(j), m_origin(std::move(origin)) {}

    const json* find(std::initializer_list<const char*> names, std::string& used) const {
        for (const char* n : names) {
            auto it = m_j.find(n);
            if (it != m_j.end() && !it->is_null()) {
                used = n;
                return &*it;
            }
        }
        used = *names.begin();
        return nullptr;
    }

    int64_t integer(std::initializer_list<const char*> names, int64_t fallback) const {
        std::string used;
        const json* v = find(names, used);
        if (!v) return fallback;
        // JSON writers sometimes spell integers as 128.0; accept those, refuse 1.5 and strings.
        if (v->is_number_integer()) return v->get<int64_t>();
        if (v->is_number_float()) {
            double d = v->get<double>();
            if (std::floor(d) == d && std::fabs(d) < 9e15) return static_cast<int64_t>(d);
        }
        throw config_error(m_origin + ": field '" + used + "' must be an integer, got " + v->dump());
    }

    double number(std::initializer_list<const char*> names, double fallback) const {
        std::string used;
        const json* v = find(names, used);
        if (!v) return fallback;
        if (!v->is_number()) throw config_error(m_origin + ": field '" + used + "' must be a number, got " + v->dump());
        return v->get<double>();
    }

    bool boolean(std::initializer_list<const char*> names, bool fallback) const {
        std::string used;
        const json* v = find(names, used);
        if (!v) return fallback;
        if (!v->is_boolean()) throw config_error(m_origin + ": field '" + used + "' must be true or false, got " + v->dump());
        return v->get<bool>();
    }

    std::string string(std::initializer_list<const char*> names, const std::string& fallback) const {
        std::string used;
        const json* v = find(names, used);
        if (!v) return fallback;
        if (!v->is_string()) throw config_error(m_origin + ": field '" + used + "' must be a string, got " + v->dump());
        return v->get<std::string>();
    }

private:
    const json& m_j;
    std::string m_origin;
};

std::vector<layer_kind> read_layers(const json& j, scheme s, int64_t num_layers, const std::string& origin) {
    std::vector<layer_kind> out;
    if (auto it = j.find("attn_type_list"); it != j.end() && !it->is_null()) {
        if (!it->is_array()) throw config_error(origin + ": field 'attn_type_list' must be a list of 0/1");
        for (size_t i = 0; i < it->size(); ++i) {
            const json& v = (*it)[i];
            if (!v.is_number_integer() || (v.get<int64_t>() != 0 && v.get<int64_t>() != 1))
                throw config_error(origin + ": field 'attn_type_list' entry " + std::to_string(i) +
                                   " must be 0 (lightning) or 1 (softmax), got " + v.dump());
            out.push_back(v.get<int64_t>() == 1 ? layer_kind::softmax : layer_kind::lightning);
        }
        return out;
    }
    if (auto it = j.find("layer_types"); it != j.end() && !it->is_null()) {
        if (!it->is_array()) throw config_error(origin + ": field 'layer_types' must be a list of strings");
        for (size_t i = 0; i < it->size(); ++i) {
            const json& v = (*it)[i];
            const std::string t = v.is_string() ? v.get<std::string>() : std::string();
            if (t == "linear_attention") out.push_back(layer_kind::lightning);
            else if (t == "full_attention") out.push_back(layer_kind::softmax);
            else
                throw config_error(origin + ": field 'layer_types' entry " + std::to_string(i) +
                                   " must be \"linear_attention\" or \"full_attention\", got " + v.dump());
        }
        return out;
    }
    if (s == scheme::remote)
        throw config_error(origin + ": field 'attn_type_list' is missing (which layers use lightning attention "
                                    "cannot be guessed)");
    // transformers' MiniMaxConfig default: alternating, full attention first (spec §2.3).
    for (int64_t l = 0; l < num_layers; ++l)
        out.push_back(l % 2 == 0 ? layer_kind::softmax : layer_kind::lightning);
    return out;
}

void require(bool ok, const std::string& origin, const std::string& message) {
    if (!ok) throw config_error(origin + ": " + message);
}

}  // namespace

model_config model_config::from_json(const json& j, const std::string& origin) {
    if (!j.is_object()) throw config_error(origin + ": the config must be a JSON object");
    const scheme s = detect_scheme(j);
    field_reader f(j, origin);
    model_config c;
    // Defaults of the config classes (spec §2.2 remote code, §2.3 MiniMaxConfig): both agree on these.
    c.vocab_size = f.integer({"vocab_size"}, 32000);
    c.hidden_size = f.integer({"hidden_size"}, 4096);
    c.num_layers = f.integer({"num_hidden_layers"}, 32);
    c.num_heads = f.integer({"num_attention_heads"}, 32);
    c.num_kv_heads = f.integer({"num_key_value_heads"}, 8);
    c.head_dim = f.integer({"head_dim"}, c.num_heads > 0 ? c.hidden_size / c.num_heads : 0);
    c.intermediate_size = f.integer({"intermediate_size"}, 14336);
    c.num_experts = f.integer({"num_local_experts"}, 8);
    c.experts_per_token = f.integer({"num_experts_per_tok"}, 2);
    c.shared_intermediate_size = f.integer({"shared_intermediate_size"}, 0);
    c.max_position_embeddings = f.integer({"max_position_embeddings"}, 131072);
    c.rms_norm_eps = f.number({"rms_norm_eps"}, 1e-5);
    c.lightning_block = f.integer({"block_size"}, 256);
    c.hidden_act = f.string({"hidden_act"}, "silu");
    c.tie_word_embeddings = f.boolean({"tie_word_embeddings"}, false);

    // rope_theta: top level (remote code, transformers 4.x) or rope_parameters.rope_theta (transformers 5).
    c.rope_theta = 1e6;
    if (j.contains("rope_theta") && !j["rope_theta"].is_null()) {
        c.rope_theta = f.number({"rope_theta"}, 1e6);
    } else if (auto rp = j.find("rope_parameters"); rp != j.end() && rp->is_object()) {
        field_reader r(*rp, origin + ": rope_parameters");
        c.rope_theta = r.number({"rope_theta"}, 1e6);
    }

    // rotary_dim (remote code) defaults to head_dim; partial_rotary_factor (vLLM's spelling) is honoured too.
    if (j.contains("rotary_dim") && !j["rotary_dim"].is_null()) {
        c.rotary_dim = f.integer({"rotary_dim"}, c.head_dim);
    } else if (j.contains("partial_rotary_factor") && !j["partial_rotary_factor"].is_null()) {
        const double factor = f.number({"partial_rotary_factor"}, 1.0);
        c.rotary_dim = static_cast<int64_t>(std::llround(factor * static_cast<double>(c.head_dim)));
    } else {
        c.rotary_dim = c.head_dim;
    }

    c.attn_alpha_lightning = f.number({"layernorm_linear_attention_alpha", "linear_attn_alpha_factor"}, 1.0);
    c.attn_beta_lightning = f.number({"layernorm_linear_attention_beta", "linear_attn_beta_factor"}, 1.0);
    c.attn_alpha_softmax = f.number({"layernorm_full_attention_alpha", "full_attn_alpha_factor"}, 1.0);
    c.attn_beta_softmax = f.number({"layernorm_full_attention_beta", "full_attn_beta_factor"}, 1.0);
    c.mlp_alpha = f.number({"layernorm_mlp_alpha", "mlp_alpha_factor"}, 1.0);
    c.mlp_beta = f.number({"layernorm_mlp_beta", "mlp_beta_factor"}, 1.0);

    // The remote code defaults postnorm to false (pre-norm residuals), which this engine does not implement; the
    // transformers class hard-codes the post-norm behaviour, so there a missing field means true.
    if (j.contains("postnorm") && !j["postnorm"].is_null()) {
        c.postnorm = f.boolean({"postnorm"}, true);
    } else if (s == scheme::remote) {
        throw config_error(origin + ": field 'postnorm' is missing; the remote code then defaults to pre-norm "
                                    "residuals (postnorm false), which is not implemented");
    }

    // Features M1 does not use and this engine does not implement: refuse them rather than compute something else.
    if (auto it = j.find("rope_scaling"); it != j.end() && !it->is_null())
        throw config_error(origin + ": field 'rope_scaling' is set: RoPE scaling is not implemented (MiniMax-M1 uses none)");
    if (auto rp = j.find("rope_parameters"); rp != j.end() && rp->is_object() && rp->contains("rope_type") &&
        (*rp)["rope_type"] != "default")
        throw config_error(origin + ": field 'rope_parameters.rope_type' = " + (*rp)["rope_type"].dump() +
                           ": only \"default\" RoPE is implemented");
    if (auto it = j.find("sliding_window"); it != j.end() && !it->is_null())
        throw config_error(origin + ": field 'sliding_window' is set: sliding-window attention is not implemented "
                                    "(MiniMax-M1 uses none)");

    c.layers = read_layers(j, s, c.num_layers, origin);
    c.validate(origin);
    return c;
}

void model_config::validate(const std::string& origin) const {
    auto positive = [&](int64_t v, const char* field) {
        require(v > 0, origin, std::string("field '") + field + "' must be positive, got " + std::to_string(v));
    };
    positive(vocab_size, "vocab_size");
    positive(hidden_size, "hidden_size");
    positive(num_layers, "num_hidden_layers");
    positive(num_heads, "num_attention_heads");
    positive(num_kv_heads, "num_key_value_heads");
    positive(head_dim, "head_dim");
    positive(rotary_dim, "rotary_dim");
    positive(intermediate_size, "intermediate_size");
    positive(num_experts, "num_local_experts");
    positive(experts_per_token, "num_experts_per_tok");
    positive(max_position_embeddings, "max_position_embeddings");
    positive(lightning_block, "block_size");
    require(num_heads % num_kv_heads == 0, origin,
            "field 'num_key_value_heads' = " + std::to_string(num_kv_heads) +
                " must divide num_attention_heads = " + std::to_string(num_heads));
    require(rotary_dim % 2 == 0, origin, "field 'rotary_dim' = " + std::to_string(rotary_dim) + " must be even");
    require(rotary_dim <= head_dim, origin,
            "field 'rotary_dim' = " + std::to_string(rotary_dim) + " must not exceed head_dim = " +
                std::to_string(head_dim));
    require(experts_per_token <= num_experts, origin,
            "field 'num_experts_per_tok' = " + std::to_string(experts_per_token) +
                " must not exceed num_local_experts = " + std::to_string(num_experts));
    require(static_cast<int64_t>(layers.size()) == num_layers, origin,
            "the layer list (attn_type_list / layer_types) has " + std::to_string(layers.size()) +
                " entries but num_hidden_layers = " + std::to_string(num_layers));
    require(shared_intermediate_size == 0, origin,
            "field 'shared_intermediate_size' = " + std::to_string(shared_intermediate_size) +
                ": a shared expert is not implemented (MiniMax-M1 has none)");
    require(postnorm, origin, "field 'postnorm' is false: pre-norm residuals are not implemented (MiniMax-M1 uses "
                              "postnorm true)");
    require(hidden_act == "silu", origin, "field 'hidden_act' = \"" + hidden_act + "\": only \"silu\" is implemented");
    require(std::isfinite(rope_theta) && rope_theta > 0, origin, "field 'rope_theta' must be positive");
    require(std::isfinite(rms_norm_eps) && rms_norm_eps > 0, origin, "field 'rms_norm_eps' must be positive");
    require(std::isfinite(lightning_norm_eps) && lightning_norm_eps > 0, origin, "the lightning norm eps must be positive");
    const std::pair<double, const char*> factors[] = {
        {attn_alpha_lightning, "layernorm_linear_attention_alpha"}, {attn_beta_lightning, "layernorm_linear_attention_beta"},
        {attn_alpha_softmax, "layernorm_full_attention_alpha"},     {attn_beta_softmax, "layernorm_full_attention_beta"},
        {mlp_alpha, "layernorm_mlp_alpha"},                         {mlp_beta, "layernorm_mlp_beta"}};
    for (const auto& [v, field] : factors)
        require(std::isfinite(v), origin, std::string("field '") + field + "' must be a finite number");
}

model_config model_config::from_json_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw config_error(path + ": cannot open the model config (missing or unreadable)");
    std::stringstream text;
    text << in.rdbuf();
    json j;
    try {
        j = json::parse(text.str());
    } catch (const json::parse_error& e) {
        throw config_error(path + ": not valid JSON (" + e.what() + ")");
    }
    return from_json(j, path);
}

json model_config::to_json() const {
    json j = json::object();
    j["architectures"] = json::array({"MiniMaxM1ForCausalLM"});
    j["model_type"] = "minimax_m1";
    json types = json::array();
    for (layer_kind k : layers) types.push_back(k == layer_kind::softmax ? 1 : 0);
    j["attn_type_list"] = types;
    j["attention_dropout"] = 0.0;
    j["bos_token_id"] = nullptr;
    j["eos_token_id"] = nullptr;
    j["head_dim"] = head_dim;
    j["hidden_act"] = hidden_act;
    j["hidden_size"] = hidden_size;
    j["initializer_range"] = 0.02;
    j["intermediate_size"] = intermediate_size;
    j["layernorm_full_attention_alpha"] = attn_alpha_softmax;
    j["layernorm_full_attention_beta"] = attn_beta_softmax;
    j["layernorm_linear_attention_alpha"] = attn_alpha_lightning;
    j["layernorm_linear_attention_beta"] = attn_beta_lightning;
    j["layernorm_mlp_alpha"] = mlp_alpha;
    j["layernorm_mlp_beta"] = mlp_beta;
    j["max_position_embeddings"] = max_position_embeddings;
    j["num_attention_heads"] = num_heads;
    j["num_experts_per_tok"] = experts_per_token;
    j["num_hidden_layers"] = num_layers;
    j["num_key_value_heads"] = num_kv_heads;
    j["num_local_experts"] = num_experts;
    j["postnorm"] = postnorm;
    j["rms_norm_eps"] = rms_norm_eps;
    j["rope_theta"] = rope_theta;
    j["rotary_dim"] = rotary_dim;
    j["shared_intermediate_size"] = shared_intermediate_size;
    j["tie_word_embeddings"] = tie_word_embeddings;
    j["vocab_size"] = vocab_size;
    // Not an official field; written only when it differs from the remote code's hard-coded BLOCK = 256.
    if (lightning_block != 256) j["block_size"] = lightning_block;
    return j;
}

int64_t model_config::count_layers(layer_kind k) const {
    int64_t n = 0;
    for (layer_kind x : layers) n += x == k ? 1 : 0;
    return n;
}

double model_config::attn_alpha(int64_t layer) const {
    return kind(layer) == layer_kind::softmax ? attn_alpha_softmax : attn_alpha_lightning;
}

double model_config::attn_beta(int64_t layer) const {
    return kind(layer) == layer_kind::softmax ? attn_beta_softmax : attn_beta_lightning;
}

}  // namespace m1
