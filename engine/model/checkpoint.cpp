// Opening a checkpoint directory, resolving tensors through the index, validating against the config (spec §3).
#include "engine/model/checkpoint.h"

#include "engine/model/safetensors.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

namespace m1 {

namespace fs = std::filesystem;
using json = nlohmann::json;

size_t dtype_size(dtype t) { return t == dtype::f32 ? 4 : 2; }

const char* dtype_name(dtype t) {
    switch (t) {
        case dtype::bf16: return "BF16";
        case dtype::f16: return "F16";
        case dtype::f32: return "F32";
    }
    return "?";
}

namespace {

int64_t product(const std::vector<int64_t>& shape) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
}

std::string shape_text(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

}  // namespace

int64_t tensor_view::numel() const { return product(shape); }
int64_t tensor_spec::numel() const { return product(shape); }

std::string tensor_names::layer(int64_t layer, const std::string& rest) {
    return "model.layers." + std::to_string(layer) + "." + rest;
}

std::string tensor_names::expert(int64_t layer, int64_t expert, const std::string& w) {
    return "model.layers." + std::to_string(layer) + ".block_sparse_moe.experts." + std::to_string(expert) + "." + w +
           ".weight";
}

std::vector<tensor_spec> expected_tensors(const model_config& c) {
    const int64_t H = c.hidden_size, D = c.attn_dim(), KV = c.kv_dim(), I = c.intermediate_size;
    std::vector<tensor_spec> out;
    auto add = [&](std::string name, std::vector<int64_t> shape, dtype t = dtype::bf16) {
        out.push_back({std::move(name), t, std::move(shape)});
    };
    add(tensor_names::embed_tokens, {c.vocab_size, H});
    for (int64_t l = 0; l < c.num_layers; ++l) {
        auto L = [&](const char* rest) { return tensor_names::layer(l, rest); };
        add(L("input_layernorm.weight"), {H});
        if (c.kind(l) == layer_kind::lightning) {
            add(L("self_attn.qkv_proj.weight"), {3 * D, H});
            add(L("self_attn.output_gate.weight"), {D, H});
            add(L("self_attn.norm.weight"), {D});
            add(L("self_attn.out_proj.weight"), {H, D});
        } else {
            add(L("self_attn.q_proj.weight"), {D, H});
            add(L("self_attn.k_proj.weight"), {KV, H});
            add(L("self_attn.v_proj.weight"), {KV, H});
            add(L("self_attn.o_proj.weight"), {H, D});
        }
        add(L("post_attention_layernorm.weight"), {H});
        add(L("block_sparse_moe.gate.weight"), {c.num_experts, H}, dtype::f32);
        for (int64_t e = 0; e < c.num_experts; ++e) {
            add(tensor_names::expert(l, e, "w1"), {I, H});
            add(tensor_names::expert(l, e, "w3"), {I, H});
            add(tensor_names::expert(l, e, "w2"), {H, I});
        }
    }
    add(tensor_names::final_norm, {H});
    if (!c.tie_word_embeddings) add(tensor_names::lm_head, {c.vocab_size, H});
    return out;
}

// ---- checkpoint

namespace {

struct shard {
    std::string file;  // name inside the directory
    std::string path;
    std::unique_ptr<mapped_file> map;  // null until a tensor of this shard is asked for
};

struct entry {
    size_t shard = 0;
    dtype type = dtype::f32;
    std::vector<int64_t> shape;
    uint64_t offset = 0, bytes = 0;
};

json read_json_file(const std::string& path, const char* what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw checkpoint_error(path + ": cannot open the " + what);
    std::stringstream text;
    text << in.rdbuf();
    try {
        return json::parse(text.str());
    } catch (const json::parse_error& e) {
        throw checkpoint_error(path + ": bad JSON in the " + what + " (" + e.what() + ")");
    }
}

}  // namespace

struct checkpoint::impl {
    std::string dir;
    model_config config;
    std::vector<shard> shards;
    std::map<std::string, entry> tensors;
    mutable std::mutex map_mutex;  // guards shard::map creation

    // Registers the tensors of one shard header; when `wanted` is given only those names (the index's choice).
    void add_shard(const std::string& file, const std::string& index_path, const std::vector<std::string>* wanted) {
        const std::string path = (fs::path(dir) / file).string();
        if (!fs::exists(path)) {
            std::string held;
            if (wanted && !wanted->empty())
                held = " (holding " + wanted->front() +
                       (wanted->size() > 1 ? " and " + std::to_string(wanted->size() - 1) + " more tensors" : "") + ")";
            throw checkpoint_error(index_path + ": shard file " + file + held + " is missing: " + path);
        }
        const safetensors_header h = read_safetensors_header(path);
        const size_t index = shards.size();
        shards.push_back({file, path, nullptr});
        std::map<std::string, const safetensors_entry*> by_name;
        for (const safetensors_entry& e : h.tensors) by_name[e.name] = &e;
        auto take = [&](const safetensors_entry& e) {
            tensors[e.name] = entry{index, e.type, e.shape, e.offset, e.bytes};
        };
        if (!wanted) {
            for (const safetensors_entry& e : h.tensors) take(e);
            return;
        }
        for (const std::string& name : *wanted) {
            auto it = by_name.find(name);
            if (it == by_name.end())
                throw checkpoint_error(index_path + ": tensor '" + name + "' is mapped to shard " + file +
                                       ", but that shard's header does not contain it");
            take(*it->second);
        }
    }
};

checkpoint::checkpoint(std::unique_ptr<impl> p) : m(std::move(p)) {}
checkpoint::~checkpoint() = default;

std::unique_ptr<checkpoint> checkpoint::open(const std::string& dir) {
    if (!fs::is_directory(dir)) throw checkpoint_error(dir + ": not a model directory (does not exist or is not a folder)");
    auto p = std::make_unique<impl>();
    p->dir = dir;
    try {
        p->config = model_config::from_json_file((fs::path(dir) / "config.json").string());
    } catch (const config_error& e) {
        throw checkpoint_error(e.what());
    }
    const std::string index_path = (fs::path(dir) / "model.safetensors.index.json").string();
    const std::string single_path = (fs::path(dir) / "model.safetensors").string();
    if (fs::exists(index_path)) {
        const json j = read_json_file(index_path, "checkpoint index");
        auto wm = j.is_object() ? j.find("weight_map") : j.end();
        if (!j.is_object() || wm == j.end() || !wm->is_object())
            throw checkpoint_error(index_path + ": bad checkpoint index (no \"weight_map\" object)");
        std::map<std::string, std::vector<std::string>> by_shard;
        for (auto it = wm->begin(); it != wm->end(); ++it) {
            if (!it->is_string())
                throw checkpoint_error(index_path + ": weight_map entry '" + it.key() + "' is not a file name");
            const std::string file = it->get<std::string>();
            // Shards must sit beside the index: refuse paths that would reach elsewhere.
            if (file.empty() || file.find('/') != std::string::npos || file == "." || file == "..")
                throw checkpoint_error(index_path + ": weight_map entry '" + it.key() + "' names '" + file +
                                       "', which is not a file name in the model directory");
            by_shard[file].push_back(it.key());
        }
        if (by_shard.empty()) throw checkpoint_error(index_path + ": the weight_map is empty");
        for (const auto& [file, names] : by_shard) p->add_shard(file, index_path, &names);
    } else if (fs::exists(single_path)) {
        p->add_shard("model.safetensors", single_path, nullptr);
    } else {
        throw checkpoint_error(dir + ": no model.safetensors.index.json and no model.safetensors");
    }
    return std::unique_ptr<checkpoint>(new checkpoint(std::move(p)));
}

const std::string& checkpoint::dir() const { return m->dir; }
const model_config& checkpoint::config() const { return m->config; }
bool checkpoint::has(const std::string& name) const { return m->tensors.count(name) != 0; }

tensor_view checkpoint::tensor(const std::string& name) const {
    auto it = m->tensors.find(name);
    if (it == m->tensors.end()) throw checkpoint_error(m->dir + ": tensor '" + name + "' is not in the checkpoint");
    const entry& e = it->second;
    shard& s = m->shards[e.shard];
    const mapped_file* map = nullptr;
    {
        std::lock_guard<std::mutex> lock(m->map_mutex);
        if (!s.map) {
            auto mf = std::make_unique<mapped_file>(s.path);
            // The header was checked at open; a file that shrank since then would fault on access.
            if (mf->size() < e.offset + e.bytes)
                throw checkpoint_error(s.path + ": file is truncated: tensor '" + name + "' lies past its end");
            s.map = std::move(mf);
        }
        map = s.map.get();
    }
    if (map->size() < e.offset + e.bytes)
        throw checkpoint_error(s.path + ": file is truncated: tensor '" + name + "' lies past its end");
    return tensor_view{name, e.type, e.shape, map->data() + e.offset, static_cast<size_t>(e.bytes)};
}

std::vector<std::string> checkpoint::names() const {
    std::vector<std::string> out;
    out.reserve(m->tensors.size());
    for (const auto& [name, e] : m->tensors) out.push_back(name);
    return out;
}

std::vector<tensor_spec> checkpoint::specs() const {
    std::vector<tensor_spec> out;
    out.reserve(m->tensors.size());
    for (const auto& [name, e] : m->tensors) out.push_back({name, e.type, e.shape});
    return out;
}

std::vector<std::string> checkpoint::shard_files() const {
    std::vector<std::string> out;
    for (const shard& s : m->shards) out.push_back(s.file);
    std::sort(out.begin(), out.end());
    return out;
}

size_t checkpoint::total_bytes() const {
    size_t n = 0;
    for (const auto& [name, e] : m->tensors) n += static_cast<size_t>(e.bytes);
    return n;
}

void checkpoint::validate(bool require_official_dtypes) const {
    std::vector<std::string> problems;
    std::set<std::string> expected_names;
    for (const tensor_spec& t : expected_tensors(m->config)) {
        expected_names.insert(t.name);
        auto it = m->tensors.find(t.name);
        if (it == m->tensors.end()) {
            problems.push_back("missing tensor " + t.name + " " + shape_text(t.shape));
            continue;
        }
        const entry& e = it->second;
        const std::string where = " (in " + m->shards[e.shard].file + ")";
        if (e.shape != t.shape)
            problems.push_back("wrong shape for " + t.name + ": " + shape_text(e.shape) + ", expected " +
                               shape_text(t.shape) + where);
        if (require_official_dtypes && e.type != t.type)
            problems.push_back("wrong dtype for " + t.name + ": " + dtype_name(e.type) + ", expected " +
                               dtype_name(t.type) + where);
    }
    for (const auto& [name, e] : m->tensors)
        if (!expected_names.count(name))
            problems.push_back("unexpected tensor " + name + " " + shape_text(e.shape) + " (in " +
                               m->shards[e.shard].file + ")");
    if (problems.empty()) return;
    std::string msg = m->dir + ": checkpoint does not match its config.json (" + std::to_string(problems.size()) +
                      (problems.size() == 1 ? " problem):" : " problems):");
    // A checkpoint for another config can have thousands of problems; the first ones tell the story.
    constexpr size_t k_listed = 40;
    for (size_t i = 0; i < problems.size() && i < k_listed; ++i) msg += "\n  " + problems[i];
    if (problems.size() > k_listed) msg += "\n  ... and " + std::to_string(problems.size() - k_listed) + " more";
    throw checkpoint_error(msg);
}

// ---- conversion

namespace {

float bf16_to_float(uint16_t v) {
    const uint32_t bits = static_cast<uint32_t>(v) << 16;  // bf16 is the top half of an IEEE float
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

float f16_to_float(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu, bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (mant << 13);  // inf / nan
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (mant << 13);  // rebias 15 -> 127
    } else if (mant == 0) {
        bits = sign;  // ±0
    } else {
        // Subnormal half: normalise the mantissa into a float exponent.
        int e = -1;
        do {
            ++e;
            mant <<= 1;
        } while ((mant & 0x400u) == 0);
        bits = sign | (static_cast<uint32_t>(112 - e) << 23) | ((mant & 0x3ffu) << 13);
    }
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

}  // namespace

void to_float(const tensor_view& t, float* out) {
    const size_t n = static_cast<size_t>(t.numel());
    if (t.bytes != n * dtype_size(t.type))
        throw checkpoint_error("tensor '" + t.name + "': byte size does not match its shape");
    switch (t.type) {
        case dtype::f32: std::memcpy(out, t.data, n * 4); return;
        case dtype::bf16:
            for (size_t i = 0; i < n; ++i) {
                uint16_t v;
                std::memcpy(&v, t.data + 2 * i, 2);
                out[i] = bf16_to_float(v);
            }
            return;
        case dtype::f16:
            for (size_t i = 0; i < n; ++i) {
                uint16_t v;
                std::memcpy(&v, t.data + 2 * i, 2);
                out[i] = f16_to_float(v);
            }
            return;
    }
}

std::vector<float> to_float(const tensor_view& t) {
    std::vector<float> out(static_cast<size_t>(t.numel()));
    to_float(t, out.data());
    return out;
}

}  // namespace m1
