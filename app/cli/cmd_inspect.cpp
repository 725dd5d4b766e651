// m1 inspect: parameter counts, checkpoint bytes and the memory needed per GPU count (spec §10). Works on a model
// directory with its weights, or on config.json + model.safetensors.index.json alone (then the official dtypes of
// spec §3 are assumed and checked against the index's total_size).
#include "app/cli/command.h"
#include "engine/model/checkpoint.h"
#include "engine/model/param_count.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>

namespace m1::cli {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string with_commas(uint64_t v) {
    std::string s = std::to_string(v);
    for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
    return s;
}

// 456.09 B, 45.94 B, 118.3 M, 12.4 K: parameter counts.
std::string count_text(int64_t n) {
    char buf[64];
    const double v = static_cast<double>(n);
    if (v >= 1e9) std::snprintf(buf, sizeof buf, "%.2f B", v / 1e9);
    else if (v >= 1e6) std::snprintf(buf, sizeof buf, "%.2f M", v / 1e6);
    else if (v >= 1e3) std::snprintf(buf, sizeof buf, "%.2f K", v / 1e3);
    else std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(n));
    return buf;
}

// Decimal units for sizes (912.2 GB as the model card says), binary units in parentheses where useful.
std::string bytes_text(uint64_t n) {
    char buf[64];
    const double v = static_cast<double>(n);
    if (v >= 1e9) std::snprintf(buf, sizeof buf, "%.1f GB", v / 1e9);
    else if (v >= 1e6) std::snprintf(buf, sizeof buf, "%.1f MB", v / 1e6);
    else if (v >= 1e3) std::snprintf(buf, sizeof buf, "%.1f KB", v / 1e3);
    else std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(n));
    return buf;
}

// Binary units for the caches (the spec states the lightning state as 4 MiB per layer).
std::string mib_text(uint64_t n) {
    char buf[64];
    const double v = static_cast<double>(n);
    if (v >= 1024.0 * 1024 * 1024) std::snprintf(buf, sizeof buf, "%.1f GiB", v / (1024.0 * 1024 * 1024));
    else if (v >= 1024.0 * 1024) std::snprintf(buf, sizeof buf, "%.1f MiB", v / (1024.0 * 1024));
    else std::snprintf(buf, sizeof buf, "%.1f KiB", v / 1024.0);
    return buf;
}

struct model_facts {
    model_config config;
    std::vector<tensor_spec> tensors;
    bool weights_present = false;
    std::string weights_note;
    std::optional<uint64_t> index_total_size;
    std::vector<std::string> warnings;
};

model_facts load_facts(const std::string& dir) {
    model_facts f;
    const fs::path index_path = fs::path(dir) / "model.safetensors.index.json";
    std::set<std::string> shard_files, index_names;
    if (fs::exists(index_path)) {
        std::ifstream in(index_path);
        json j;
        try {
            j = json::parse(in);
        } catch (const json::parse_error& e) {
            throw checkpoint_error(index_path.string() + ": bad JSON in the checkpoint index (" + e.what() + ")");
        }
        if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
            throw checkpoint_error(index_path.string() + ": bad checkpoint index (no \"weight_map\" object)");
        for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it) {
            index_names.insert(it.key());
            if (it->is_string()) shard_files.insert(it->get<std::string>());
        }
        if (j.contains("metadata") && j["metadata"].is_object() && j["metadata"].contains("total_size") &&
            j["metadata"]["total_size"].is_number_unsigned())
            f.index_total_size = j["metadata"]["total_size"].get<uint64_t>();
    }
    size_t present = 0;
    for (const std::string& s : shard_files) present += fs::exists(fs::path(dir) / s) ? 1 : 0;
    const bool single = !fs::exists(index_path) && fs::exists(fs::path(dir) / "model.safetensors");
    if (single || (!shard_files.empty() && present == shard_files.size())) {
        auto ck = checkpoint::open(dir);
        f.config = ck->config();
        f.tensors = ck->specs();
        f.weights_present = true;
        f.weights_note = std::to_string(ck->shard_files().size()) + " shard(s) present; dtypes read from their headers";
        try {
            ck->validate();
            f.weights_note += "; every tensor has the shape config.json calls for";
        } catch (const checkpoint_error& e) {
            f.warnings.push_back(e.what());
        }
        return f;
    }
    try {
        f.config = model_config::from_json_file((fs::path(dir) / "config.json").string());
    } catch (const config_error& e) {
        throw checkpoint_error(e.what());
    }
    if (!fs::exists(index_path))
        throw checkpoint_error(dir + ": no model.safetensors.index.json and no model.safetensors");
    f.tensors = expected_tensors(f.config);
    f.weights_note = "weights not present (" + std::to_string(present) + " of " + std::to_string(shard_files.size()) +
                     " shards); config.json + index only, official dtypes assumed (router F32, rest BF16)";
    size_t missing = 0, unexpected = 0;
    std::set<std::string> expected_names;
    for (const tensor_spec& t : f.tensors) {
        expected_names.insert(t.name);
        missing += index_names.count(t.name) ? 0 : 1;
    }
    for (const std::string& n : index_names) unexpected += expected_names.count(n) ? 0 : 1;
    if (missing || unexpected)
        f.warnings.push_back("the index does not match config.json: " + std::to_string(missing) +
                             " expected tensors missing, " + std::to_string(unexpected) + " unexpected");
    return f;
}

}  // namespace

int run_inspect(const std::vector<std::string>& args) {
    arg_parser p("inspect", "--model DIR [--json]",
                 "Prints a model's parameter counts (total; active per token with and without the embeddings and "
                 "lm_head), its bytes in the checkpoint's dtypes, and the memory needed per GPU for 1, 2, 4 and 8 "
                 "GPUs (tensor parallel: weights split over the GPUs, softmax KV cache per token, lightning state per "
                 "sequence). Needs only config.json and model.safetensors.index.json; with the weights present the "
                 "dtypes are read from the shard headers.");
    p.option("--model", "DIR", "The model directory.").flag("--json", "Print one JSON object instead of text.");
    if (int rc = parse_or_exit(p, args); rc >= 0) return rc;
    if (!p.has("--model")) {
        std::fprintf(stderr, "m1: inspect needs --model DIR (see m1 inspect --help)\n");
        return 2;
    }
    const std::string dir = *p.value("--model");
    model_facts f;
    try {
        f = load_facts(dir);
    } catch (const std::exception& e) {
        return fail("inspect", e.what());
    }
    const model_config& c = f.config;
    const param_counts counts = count_params(c, f.tensors);
    std::map<std::string, std::pair<size_t, uint64_t>> by_dtype;  // dtype -> (tensors, bytes)
    for (const tensor_spec& t : f.tensors) {
        auto& slot = by_dtype[dtype_name(t.type)];
        ++slot.first;
        slot.second += t.bytes();
    }
    std::vector<memory_estimate> plans;
    for (int g : {1, 2, 4, 8})
        if (c.num_heads % g == 0) plans.push_back(estimate_memory(c, f.tensors, g));
    // The planned 8-bit expert option (engine/cuda/cuda_memory_plan.h): expert weights at one byte each plus one fp32
    // scale per output row, split over the GPUs like the bf16 experts; what lets the full M1 fit on 4 × H200.
    uint64_t expert_bytes = 0, expert_8bit_bytes = 0;
    for (const tensor_spec& t : f.tensors)
        if (t.name.find(".block_sparse_moe.experts.") != std::string::npos) {
            expert_bytes += t.bytes();
            expert_8bit_bytes += uint64_t(t.numel()) + (t.shape.empty() ? 0 : uint64_t(t.shape[0]) * 4);
        }
    const auto weights_8bit = [&](const memory_estimate& m) {
        return m.weight_bytes_per_gpu - expert_bytes / uint64_t(m.gpus) + expert_8bit_bytes / uint64_t(m.gpus);
    };
    const int64_t long_context = 1000000, mid_context = 131072;
    if (f.index_total_size && *f.index_total_size != counts.bytes)
        f.warnings.push_back("the index's total_size is " + with_commas(*f.index_total_size) + " bytes, the tensors add up to " +
                             with_commas(counts.bytes));

    if (p.has("--json")) {
        json j = {{"model", dir},
                  {"weights_present", f.weights_present},
                  {"layers", c.num_layers},
                  {"lightning_layers", c.count_layers(layer_kind::lightning)},
                  {"softmax_layers", c.count_layers(layer_kind::softmax)},
                  {"tensors", f.tensors.size()},
                  {"parameters",
                   {{"total", counts.total},
                    {"active", counts.active},
                    {"active_without_embeddings", counts.active_without_embeddings},
                    {"embeddings", counts.embeddings},
                    {"experts", counts.experts}}},
                  {"bytes", counts.bytes},
                  {"index_total_size", f.index_total_size ? json(*f.index_total_size) : json(nullptr)},
                  {"warnings", f.warnings}};
        for (const auto& [name, v] : by_dtype) j["bytes_by_dtype"][name] = v.second;
        for (const memory_estimate& m : plans)
            j["per_gpu"].push_back({{"gpus", m.gpus},
                                    {"weight_bytes", m.weight_bytes_per_gpu},
                                    {"weight_bytes_8bit_experts", weights_8bit(m)},
                                    {"kv_bytes_per_token", m.kv_bytes_per_token_per_gpu},
                                    {"state_bytes_per_sequence", m.state_bytes_per_sequence_per_gpu},
                                    {"bytes_at_131072_tokens", m.total_for(mid_context)},
                                    {"bytes_at_1000000_tokens", m.total_for(long_context)}});
        std::printf("%s\n", j.dump(2).c_str());
        return 0;
    }

    std::printf("model: %s\n", dir.c_str());
    std::printf("weights: %s\n", f.weights_note.c_str());
    std::printf("architecture: %lld layers (%lld lightning, %lld softmax), hidden %lld, %lld heads x %lld (%lld kv "
                "heads, rotary %lld), %lld experts x %lld (top-%lld), vocab %lld\n",
                static_cast<long long>(c.num_layers), static_cast<long long>(c.count_layers(layer_kind::lightning)),
                static_cast<long long>(c.count_layers(layer_kind::softmax)), static_cast<long long>(c.hidden_size),
                static_cast<long long>(c.num_heads), static_cast<long long>(c.head_dim),
                static_cast<long long>(c.num_kv_heads), static_cast<long long>(c.rotary_dim),
                static_cast<long long>(c.num_experts), static_cast<long long>(c.intermediate_size),
                static_cast<long long>(c.experts_per_token), static_cast<long long>(c.vocab_size));
    std::printf("parameters: %s total (%s)\n", count_text(counts.total).c_str(),
                with_commas(static_cast<uint64_t>(counts.total)).c_str());
    std::printf("active per token: %s without embeddings and lm_head, %s with them\n",
                count_text(counts.active_without_embeddings).c_str(), count_text(counts.active).c_str());
    std::printf("embeddings + lm_head: %s; routed experts: %s\n", count_text(counts.embeddings).c_str(),
                count_text(counts.experts).c_str());
    std::string dtypes;
    for (const auto& [name, v] : by_dtype)
        dtypes += (dtypes.empty() ? "" : ", ") + std::to_string(v.first) + " tensors in " + name + " (" +
                  bytes_text(v.second) + ")";
    std::printf("checkpoint: %s (%s bytes, %s): %s\n", bytes_text(counts.bytes).c_str(),
                with_commas(counts.bytes).c_str(), mib_text(counts.bytes).c_str(), dtypes.c_str());
    if (!plans.empty()) {
        std::printf("softmax KV cache (bf16): %s bytes per token; lightning state (fp32): %s per sequence\n",
                    with_commas(plans[0].kv_bytes_per_token_per_gpu).c_str(),
                    mib_text(plans[0].state_bytes_per_sequence_per_gpu).c_str());
        std::printf("memory per GPU, tensor parallel (weights + KV cache + lightning state of one sequence):\n");
        std::printf("  %4s  %12s  %14s  %14s  %15s  %13s  %21s\n", "GPUs", "weights/GPU", "KV/token/GPU",
                    "state/seq/GPU", "at 131072 tok", "at 1M tok", "8-bit experts: w/GPU");
        for (const memory_estimate& m : plans)
            std::printf("  %4d  %12s  %14s  %14s  %15s  %13s  %21s\n", m.gpus, bytes_text(m.weight_bytes_per_gpu).c_str(),
                        (with_commas(m.kv_bytes_per_token_per_gpu) + " B").c_str(),
                        mib_text(m.state_bytes_per_sequence_per_gpu).c_str(),
                        bytes_text(m.total_for(mid_context)).c_str(), bytes_text(m.total_for(long_context)).c_str(),
                        bytes_text(weights_8bit(m)).c_str());
        std::printf("  (8-bit experts: one byte per expert weight + an fp32 scale per row; planned, not yet loadable)\n");
    }
    for (const std::string& w : f.warnings) std::printf("warning: %s\n", w.c_str());
    return 0;
}

}  // namespace m1::cli
