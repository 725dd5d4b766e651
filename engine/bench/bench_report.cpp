#include "engine/bench/bench_report.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

namespace m1::bench {

namespace {

constexpr double k_gb = 1e9;

// A JSON number, or null for "not measured".
nlohmann::json num(double v) {
    return v < 0 ? nlohmann::json(nullptr) : nlohmann::json(v);
}

std::string fmt(const char* f, double v) {
    if (v < 0) return "-";
    char buf[64];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

bool have_ceilings(const bench_result& r) {
    return r.ceil.copy_bytes_per_s > 0 && r.ceil.gemm_flops_per_s > 0;
}

std::string describe_config(const model_config& c) {
    char buf[320];
    std::snprintf(buf, sizeof buf,
                  "%lld layers (%lld lightning + %lld softmax), hidden %lld, %lld heads x %lld (%lld kv), %lld experts "
                  "x %lld top-%lld, vocab %lld",
                  (long long)c.num_layers, (long long)c.count_layers(layer_kind::lightning),
                  (long long)c.count_layers(layer_kind::softmax), (long long)c.hidden_size, (long long)c.num_heads,
                  (long long)c.head_dim, (long long)c.num_kv_heads, (long long)c.num_experts,
                  (long long)c.intermediate_size, (long long)c.experts_per_token, (long long)c.vocab_size);
    return buf;
}

}  // namespace

floor_layout engine_layout(const std::string& precision) {
    floor_layout l;
    l.kv_bytes = precision == "reference" ? 4 : 2;
    l.lm_head_bytes = 2;  // the benchmark's random weights hold the head in bf16 (fp32 activations and accumulation)
    return l;
}

nlohmann::json to_json(const bench_result& r) {
    using nlohmann::json;
    const floor_layout layout = engine_layout(r.precision);
    const bool ceil = have_ceilings(r);
    json j = {
        {"tool", r.tool},
        {"date", r.date},
        {"mode", r.mode},
        {"config_name", r.config_name},
        {"config_summary", describe_config(r.config)},
        {"config", r.config.to_json()},
        {"precision", r.precision},
        {"seed", r.seed},
        {"chunk", r.chunk},
        {"device", {{"name", r.device.name}, {"sms", r.device.sms}, {"memory_gb", r.device.memory_bytes / k_gb}}},
        {"ceilings",
         {{"copy_tb_s", num(r.ceil.copy_bytes_per_s / 1e12)}, {"gemm_tflop_s", num(r.ceil.gemm_flops_per_s / 1e12)}}},
        {"load_s", num(r.load_s)},
        {"plan", r.plan},
        {"memory",
         {{"baseline_used_gb", num(r.baseline_used_bytes / k_gb)}, {"peak_used_gb", num(r.peak_used_bytes / k_gb)}}},
        {"floor_assumptions",
         "decode: bytes read per token (projections, k experts per layer, router fp32, LM head bf16, KV cache " +
             std::string(layout.kv_bytes == 2 ? "bf16" : "fp32") +
             ", lightning state fp32 read + written) / copy ceiling; prefill: max(FLOPs / GEMM ceiling, weights "
             "once / copy ceiling), FLOPs = projections + k experts + router + causal attention + lightning + one LM-head "
             "row; prefill is incremental (cumulative time from token 0 to each context)"}};
    json contexts = json::array();
    for (const context_result& c : r.contexts) {
        json e = {{"context", c.context},
                  {"prefill_s", num(c.prefill_s)},
                  {"segment_s", num(c.segment_s)},
                  {"prefill_tok_s", num(c.prefill_s > 0 ? double(c.context) / c.prefill_s : -1)},
                  {"prefill_flops", prefill_flops_for(r.config, c.context).total()},
                  {"decode_ms", num(c.decode_s > 0 ? 1e3 * c.decode_s : -1)},
                  {"decode_tok_s", num(c.decode_s > 0 ? 1 / c.decode_s : -1)},
                  {"decode_steps", c.decode_steps},
                  {"decode_bytes_per_token", decode_bytes_per_token(r.config, c.context, layout).total()},
                  {"used_gb", num(c.used_bytes / k_gb)}};
        if (ceil) {
            const double pf =
                prefill_floor_s(r.config, c.context, r.ceil.copy_bytes_per_s, r.ceil.gemm_flops_per_s, layout);
            const double df = decode_floor_s(r.config, c.context, r.ceil.copy_bytes_per_s, layout);
            e["prefill_floor_s"] = pf;
            e["prefill_x_floor"] = num(c.prefill_s > 0 ? c.prefill_s / pf : -1);
            e["prefill_pct_of_floor"] = num(c.prefill_s > 0 ? 100 * pf / c.prefill_s : -1);
            e["decode_floor_tok_s"] = 1 / df;
            e["decode_pct_of_floor"] = num(c.decode_s > 0 ? 100 * df / c.decode_s : -1);
        }
        if (!c.stages.empty()) {
            json st = json::array();
            for (const stage_time& t : c.stages)
                st.push_back({{"stage", t.stage}, {"s", t.seconds}, {"intervals", t.intervals}});
            e["stages"] = st;
        }
        contexts.push_back(e);
    }
    j["contexts"] = contexts;
    if (r.follow_up.tokens > 0)
        j["follow_up"] = {{"prefix", r.follow_up.prefix},        {"tokens", r.follow_up.tokens},
                          {"clone_s", num(r.follow_up.clone_s)}, {"forward_s", num(r.follow_up.forward_s)},
                          {"ttft_s", num(r.follow_up.ttft_s)},   {"error", r.follow_up.error}};
    json kernels = json::array();
    for (const kernel_result& k : r.kernels)
        kernels.push_back({{"name", k.name},
                           {"shape", k.shape},
                           {"tokens", k.tokens},
                           {"ms", num(k.seconds > 0 ? 1e3 * k.seconds : -1)},
                           {"tflop_s", num(k.seconds > 0 && k.flops > 0 ? k.flops / k.seconds / 1e12 : -1)},
                           {"tb_s", num(k.seconds > 0 && k.bytes > 0 ? k.bytes / k.seconds / 1e12 : -1)},
                           {"flops", k.flops},
                           {"bytes", k.bytes},
                           {"floor_ms", num(k.floor_s > 0 ? 1e3 * k.floor_s : -1)},
                           {"pct_of_floor", num(k.floor_s > 0 && k.seconds > 0 ? 100 * k.floor_s / k.seconds : -1)},
                           {"note", k.note}});
    j["kernels"] = kernels;
    j["notes"] = r.notes;
    j["error"] = r.error;
    return j;
}

namespace {

// The stages of one context's prefill, slowest first, with their share of the summed stage time.
std::string format_stages(const context_result& c) {
    std::vector<stage_time> st = c.stages;
    std::stable_sort(st.begin(), st.end(), [](const stage_time& a, const stage_time& b) { return a.seconds > b.seconds; });
    double sum = 0;
    for (const stage_time& t : st) sum += t.seconds;
    std::string out = "\nprefill stages to " + std::to_string(c.context) +
                      " tokens (device time between events after each stage; " + fmt("%.3f", sum) +
                      " s in all against " + fmt("%.3f", c.prefill_s) + " s on the host clock):\n"
                      "| stage | s | % | runs |\n|---|---|---|---|\n";
    for (const stage_time& t : st)
        out += "| " + t.stage + " | " + fmt("%.4f", t.seconds) + " | " + fmt("%.1f%%", sum > 0 ? 100 * t.seconds / sum : -1) +
               " | " + std::to_string(t.intervals) + " |\n";
    return out;
}

}  // namespace

std::string format_table(const bench_result& r) {
    const floor_layout layout = engine_layout(r.precision);
    const bool ceil = have_ceilings(r);
    std::string out = "m1 bench (" + r.mode + "): " + r.config_name + " = " + describe_config(r.config) + ", " +
                      r.precision + " precision, seed " + std::to_string(r.seed) + ", chunk " +
                      std::to_string(r.chunk) + "\n";
    out += "device: " + r.device.name + " (" + std::to_string(r.device.sms) + " SMs, " +
           fmt("%.1f", r.device.memory_bytes / k_gb) + " GB); ceilings measured now: copy " +
           fmt("%.2f", r.ceil.copy_bytes_per_s / 1e12) + " TB/s, cuBLAS bf16 GEMM 8192^3 " +
           fmt("%.0f", r.ceil.gemm_flops_per_s / 1e12) + " TFLOP/s\n";
    if (!r.contexts.empty()) {
        out += "\n| context | prefill s | prefill tok/s | floor s | x floor | decode ms | decode tok/s | floor tok/s "
               "| % of floor |\n|---|---|---|---|---|---|---|---|---|\n";
        for (const context_result& c : r.contexts) {
            double pf = -1, df = -1;
            if (ceil) {
                pf = prefill_floor_s(r.config, c.context, r.ceil.copy_bytes_per_s, r.ceil.gemm_flops_per_s, layout);
                df = decode_floor_s(r.config, c.context, r.ceil.copy_bytes_per_s, layout);
            }
            out += "| " + std::to_string(c.context) + " | " + fmt("%.3f", c.prefill_s) + " | " +
                   fmt("%.0f", c.prefill_s > 0 ? double(c.context) / c.prefill_s : -1) + " | " + fmt("%.3f", pf) +
                   " | " + fmt("%.2f", c.prefill_s > 0 && pf > 0 ? c.prefill_s / pf : -1) + " | " +
                   fmt("%.2f", c.decode_s > 0 ? 1e3 * c.decode_s : -1) + " | " +
                   fmt("%.1f", c.decode_s > 0 ? 1 / c.decode_s : -1) + " | " + fmt("%.1f", df > 0 ? 1 / df : -1) +
                   " | " + fmt("%.1f%%", c.decode_s > 0 && df > 0 ? 100 * df / c.decode_s : -1) + " |\n";
        }
        out += "prefill is incremental on one state (cumulative time from token 0); decode = median of " +
               std::to_string(r.contexts.front().decode_steps) +
               " steps (forward of 1 token + host sampling); floors count the bf16 LM head our engine holds "
               "(the issue's floors)\n";
    }
    if (!r.contexts.empty() && !r.contexts.back().stages.empty()) out += format_stages(r.contexts.back());
    if (r.follow_up.tokens > 0) {
        out += "follow-up: " + std::to_string(r.follow_up.tokens) + " tokens after a " +
               std::to_string(r.follow_up.prefix) + "-token prefix (fork): ";
        out += r.follow_up.error.empty() ? "first token " + fmt("%.3f", r.follow_up.ttft_s) + " s (clone " +
                                               fmt("%.3f", r.follow_up.clone_s) + " s + forward and sampling " +
                                               fmt("%.3f", r.follow_up.forward_s) + " s)\n"
                                         : "failed: " + r.follow_up.error + "\n";
    }
    if (!r.kernels.empty()) {
        out += "\n| kernel | shape | ms | TFLOP/s | TB/s | floor ms | % of floor | note "
               "|\n|---|---|---|---|---|---|---|---|\n";
        for (const kernel_result& k : r.kernels)
            out += "| " + k.name + " | " + k.shape + " | " + fmt("%.3f", k.seconds > 0 ? 1e3 * k.seconds : -1) + " | " +
                   fmt("%.1f", k.seconds > 0 && k.flops > 0 ? k.flops / k.seconds / 1e12 : -1) + " | " +
                   fmt("%.2f", k.seconds > 0 && k.bytes > 0 ? k.bytes / k.seconds / 1e12 : -1) + " | " +
                   fmt("%.3f", k.floor_s > 0 ? 1e3 * k.floor_s : -1) + " | " +
                   fmt("%.1f%%", k.floor_s > 0 && k.seconds > 0 ? 100 * k.floor_s / k.seconds : -1) + " | " + k.note +
                   " |\n";
    }
    if (r.load_s >= 0)
        out += "random weights generated on the GPU in " + fmt("%.1f", r.load_s) + " s; plan: " + r.plan + "\n";
    if (r.peak_used_bytes >= 0)
        out += "GPU memory in use: peak " + fmt("%.1f", r.peak_used_bytes / k_gb) +
               " GB (before the model: " + fmt("%.1f", r.baseline_used_bytes / k_gb) +
               " GB; sampled after each phase)\n";
    for (const std::string& n : r.notes) out += "note: " + n + "\n";
    if (!r.error.empty()) out += "stopped early: " + r.error + "\n";
    return out;
}

}  // namespace m1::bench
