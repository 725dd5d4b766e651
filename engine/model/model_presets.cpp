#include "engine/model/model_presets.h"

#include "engine/model/safetensors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace m1 {

namespace {

namespace fs = std::filesystem;

constexpr uint64_t k_golden = 0x9E3779B97F4A7C15ull;

uint64_t splitmix64_mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint64_t fnv1a64(const std::string& s) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : s) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    return h;
}

uint16_t float_to_bf16(float f) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    bits += 0x7FFFu + ((bits >> 16) & 1u);  // round to nearest, ties to even (no NaNs are generated here)
    return static_cast<uint16_t>(bits >> 16);
}

std::vector<layer_kind> layer_list(int64_t n, const std::vector<int>& softmax_at) {
    std::vector<layer_kind> out(static_cast<size_t>(n), layer_kind::lightning);
    for (int l : softmax_at) out[static_cast<size_t>(l)] = layer_kind::softmax;
    return out;
}

model_config base_config(int64_t layers) {
    model_config c;
    c.num_layers = layers;
    c.rope_theta = 1e7;
    c.rms_norm_eps = 1e-5;
    c.max_position_embeddings = 10240000;
    // DeepNorm-style residual scale as M1 uses it: (2·layers)^(1/4) (= 3.5565588200778455 for 80 layers).
    const double alpha = std::pow(2.0 * static_cast<double>(layers), 0.25);
    c.attn_alpha_lightning = c.attn_alpha_softmax = c.mlp_alpha = alpha;
    c.attn_beta_lightning = c.attn_beta_softmax = c.mlp_beta = 1.0;
    return c;
}

void write_text_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    out.close();
    if (!out) throw checkpoint_error(path + ": write failed");
}

}  // namespace

namespace {

// The presets of model_presets.h, one row each. vocab 0: the tokenizer's size, rounded up to a multiple of 64.
struct preset_row {
    const char* name;
    int64_t layers, hidden, heads, kv_heads, head_dim, rotary, intermediate, experts;
    std::vector<int> softmax_layers;
    int64_t vocab;
    bool config_only;  // its weights are too large to write
};

const std::vector<preset_row>& preset_table() {
    static const std::vector<preset_row> rows = {
        {"tiny", 8, 64, 4, 2, 16, 8, 32, 4, {3, 7}, 0, false},
        {"small", 8, 512, 8, 2, 64, 32, 1024, 8, {3, 7}, 0, false},
        {"w16", 16, 6144, 64, 8, 128, 64, 9216, 16, {7, 15}, 200064, true},
    };
    return rows;
}

const preset_row* find_preset(const std::string& name) {
    for (const preset_row& r : preset_table())
        if (name == r.name) return &r;
    return nullptr;
}

}  // namespace

std::vector<std::string> preset_names() {
    std::vector<std::string> names;
    for (const preset_row& r : preset_table()) names.emplace_back(r.name);
    return names;
}

bool preset_is_config_only(const std::string& name) {
    const preset_row* r = find_preset(name);
    return r && r->config_only;
}

int64_t padded_vocab_size(int64_t tokenizer_size) { return (tokenizer_size + 63) / 64 * 64; }

model_config preset_config(const std::string& name, int64_t vocab_size) {
    const preset_row* r = find_preset(name);
    if (!r) {
        std::string known;
        for (const std::string& n : preset_names()) known += (known.empty() ? "" : ", ") + n;
        throw config_error("unknown model preset '" + name + "' (known: " + known + ")");
    }
    model_config c = base_config(r->layers);
    c.hidden_size = r->hidden;
    c.num_heads = r->heads;
    c.num_kv_heads = r->kv_heads;
    c.head_dim = r->head_dim;
    c.rotary_dim = r->rotary;
    c.intermediate_size = r->intermediate;
    c.num_experts = r->experts;
    c.experts_per_token = 2;
    c.layers = layer_list(r->layers, r->softmax_layers);
    c.vocab_size = r->vocab > 0 ? r->vocab : padded_vocab_size(vocab_size);
    c.validate("preset " + name);
    return c;
}

void random_tensor_values(const tensor_spec& spec, uint64_t seed, int64_t first, int64_t n, float* out) {
    const uint64_t stream = splitmix64_mix(seed) ^ fnv1a64(spec.name);
    // Norm weights: 1 + U(-0.2, 0.2). Embeddings: σ = 1. Linear [out, in] (router included): σ = 1/√in.
    const bool is_norm = spec.shape.size() == 1;
    const double sigma = spec.name == tensor_names::embed_tokens ? 1.0
                         : is_norm                               ? 0.0
                                                                 : 1.0 / std::sqrt(static_cast<double>(spec.shape.back()));
    const double half_width = is_norm ? 0.2 : std::sqrt(3.0) * sigma;
    const double center = is_norm ? 1.0 : 0.0;
    for (int64_t i = 0; i < n; ++i) {
        const uint64_t z = splitmix64_mix(stream + static_cast<uint64_t>(first + i + 1) * k_golden);
        const double u = static_cast<double>(z >> 11) * 0x1.0p-53;  // [0, 1)
        out[i] = static_cast<float>(center + (2.0 * u - 1.0) * half_width);
    }
}

std::vector<std::vector<tensor_spec>> shard_plan(const model_config& c) {
    std::vector<std::vector<tensor_spec>> shards(static_cast<size_t>(c.num_layers) + 1);
    for (tensor_spec& t : expected_tensors(c)) {
        size_t shard = static_cast<size_t>(c.num_layers);  // globals after the layers: the last layer's shard
        if (t.name == tensor_names::embed_tokens) {
            shard = 0;
        } else if (t.name.rfind("model.layers.", 0) == 0) {
            shard = static_cast<size_t>(std::stoll(t.name.substr(13))) + 1;
        }
        shards[shard].push_back(std::move(t));
    }
    return shards;
}

std::string shard_file_name(size_t index, size_t count) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "model-%05zu-of-%05zu.safetensors", index, count);
    return buf;
}

void make_random_model(const make_model_options& o) {
    const fs::path dir(o.out_dir);
    std::error_code ec;
    if (fs::exists(dir) && !fs::is_empty(dir, ec))
        throw checkpoint_error(o.out_dir + ": the output folder exists and is not empty (choose a new folder)");
    fs::create_directories(dir, ec);
    if (ec) throw checkpoint_error(o.out_dir + ": cannot create the folder (" + ec.message() + ")");
    o.config.validate(o.out_dir + "/config.json");

    write_text_file((dir / "config.json").string(), o.config.to_json().dump(2) + "\n");
    write_text_file((dir / "tokenizer.json").string(), o.tokenizer_json);
    write_text_file((dir / "tokenizer_config.json").string(), o.tokenizer_config_json);

    const auto plan = shard_plan(o.config);
    nlohmann::json weight_map = nlohmann::json::object();
    uint64_t total = 0;
    for (size_t s = 0; s < plan.size(); ++s) {
        for (const tensor_spec& t : plan[s]) {
            weight_map[t.name] = shard_file_name(s, plan.size());
            total += t.bytes();
        }
    }
    // total_size counts tensor data bytes only, as in the official index. The m1studio_random_weights entry marks
    // the directory as made here, so the app labels its answers as coming from random weights.
    nlohmann::json index = {
        {"metadata", {{"total_size", total}, {"m1studio_random_weights", "seed " + std::to_string(o.seed)}}},
        {"weight_map", weight_map}};
    write_text_file((dir / "model.safetensors.index.json").string(), index.dump(2) + "\n");
    if (o.config_only) return;

    constexpr int64_t k_chunk = 1 << 20;  // elements generated and written per step
    std::vector<float> values(static_cast<size_t>(k_chunk));
    std::vector<uint16_t> half(static_cast<size_t>(k_chunk));
    for (size_t s = 0; s < plan.size(); ++s) {
        const std::string path = (dir / shard_file_name(s, plan.size())).string();
        safetensors_writer w(path, plan[s], {{"format", "pt"}});
        for (const tensor_spec& t : plan[s]) {
            const int64_t numel = t.numel();
            for (int64_t first = 0; first < numel; first += k_chunk) {
                const int64_t n = std::min(k_chunk, numel - first);
                random_tensor_values(t, o.seed, first, n, values.data());
                if (t.type == dtype::f32) {
                    w.write(values.data(), static_cast<size_t>(n) * 4);
                } else {
                    for (int64_t i = 0; i < n; ++i) half[static_cast<size_t>(i)] = float_to_bf16(values[static_cast<size_t>(i)]);
                    w.write(half.data(), static_cast<size_t>(n) * 2);
                }
            }
        }
        w.finish();
        if (o.progress && !o.progress(s + 1, plan.size()))
            throw checkpoint_error(o.out_dir + ": cancelled after " + std::to_string(s + 1) + " of " +
                                   std::to_string(plan.size()) + " shards");
    }
}

}  // namespace m1
