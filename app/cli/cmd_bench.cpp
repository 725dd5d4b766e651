// m1 bench: the engine's speed on one GPU against the physical floor, with seeded random weights generated on the
// GPU (no checkpoint on disk): prefill and decode at several contexts, a follow-up question on a fork, peak memory,
// the ceilings measured in the same run; or, with --kernels, the attention, lightning and expert kernels alone.
// The instruments live in engine/bench; tests/bench/README.md says how the numbers are used.
#include "app/cli/command.h"
#include "engine/bench/bench_config.h"
#include "engine/bench/bench_report.h"
#include "engine/core/build_info.h"
#ifdef M1_WITH_CUDA_BACKEND
#include "engine/bench/bench_ceilings.h"
#include "engine/bench/bench_kernels.h"
#include "engine/bench/bench_model_run.h"
#endif

#include <cstdio>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

namespace m1::cli {

namespace {

// "8192,131072,1048576" or "8K,128K,1M" (K = 1024, M = 1048576): positive and strictly ascending.
std::optional<std::vector<int64_t>> parse_contexts(const std::string& text, std::string& error) {
    std::vector<int64_t> out;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
        int64_t scale = 1;
        if (!item.empty() && (item.back() == 'K' || item.back() == 'k')) scale = 1024;
        if (!item.empty() && (item.back() == 'M' || item.back() == 'm')) scale = 1048576;
        if (scale != 1) item.pop_back();
        size_t used = 0;
        long long v = 0;
        try {
            v = std::stoll(item, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (item.empty() || used != item.size() || v <= 0 || v > (int64_t(1) << 40) / scale) {
            error = "--contexts expects positive token counts separated by commas (e.g. 8192,131072 or 8K,128K,1M), "
                    "got '" +
                    text + "'";
            return std::nullopt;
        }
        if (!out.empty() && v * scale <= out.back()) {
            error = "--contexts must be in ascending order (the prefill continues from one context to the next), "
                    "got '" +
                    text + "'";
            return std::nullopt;
        }
        out.push_back(v * scale);
    }
    if (out.empty()) {
        error = "--contexts expects at least one token count";
        return std::nullopt;
    }
    return out;
}

// Which of --kernels' groups run (--only).
struct kernel_groups {
    bool attention = true, lightning = true, experts = true;
};

// "lightning" or "attention,experts": every name known, at least one.
bool parse_only(const std::string& text, kernel_groups& o, std::string& error) {
    o.attention = o.lightning = o.experts = false;
    std::stringstream in(text);
    std::string item;
    bool any = false;
    while (std::getline(in, item, ',')) {
        if (item == "attention")
            o.attention = true;
        else if (item == "lightning")
            o.lightning = true;
        else if (item == "experts")
            o.experts = true;
        else {
            error = "--only expects attention, lightning or experts separated by commas, got '" + text + "'";
            return false;
        }
        any = true;
    }
    if (!any) error = "--only expects at least one of attention, lightning, experts";
    return any;
}

std::string utc_now() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

int usage(const std::string& message) {
    std::fprintf(stderr, "m1: bench: %s (see m1 bench --help)\n", message.c_str());
    return 2;
}

}  // namespace

int run_bench(const std::vector<std::string>& args) {
    arg_parser p("bench", "[--config w16|w4-32e|NAME|config.json] [--contexts 8K,128K,1M] [options]",
                 "Measures the CUDA backend on one GPU with seeded random weights generated on the GPU (the same "
                 "values m1 make-model --seed writes; nothing is read from disk): the ceilings of the machine (device "
                 "copy TB/s, cuBLAS bf16 GEMM 8192^3 TFLOP/s), then one sequence prefilled incrementally to each "
                 "context (cumulative time from token 0), decode tokens/s at each context (median, batch 1), the "
                 "first token of a follow-up question on a fork of the longest prefix, and the GPU memory peak; each "
                 "time beside its floor (decode: bytes per token / copy ceiling; prefill: FLOPs / GEMM ceiling). "
                 "With --kernels, times the attention, lightning and expert kernels alone at the configuration's "
                 "shapes instead. Prints a table; --json writes every number. Needs a CUDA GPU.");
    p.option("--config", "NAME",
             "w16 (M1's widths, 16 layers, 16 experts; ~99 GB), w4-32e (4 layers, 32 experts; 53 GB), w2-32e, tiny, "
             "small, or a config.json / model folder (default w16).");
    p.option("--contexts", "LIST",
             "Ascending contexts in tokens, K = 1024 and M = 1048576 allowed (default 8192,131072,1048576; with "
             "--kernels 8192,32768,131072).");
    p.option("--decode-tokens", "N", "Decode steps timed at each context; the median is reported (default 32).");
    p.option("--follow-up", "N",
             "Tokens of the follow-up question after the longest context (a fork of its state; default 50, 0 = none).");
    p.option("--precision", "MODE", "fast (bf16 GEMM inputs, bf16 KV cache; default) or reference.");
    p.option("--seed", "N", "Seed of the random weights and token ids (default 1).");
    p.option("--chunk", "N",
             "Tokens per prefill chunk inside the backend (default: the longest the GPU's memory allows, up to "
             "32768, as the app takes; --kernels: 8192).");
    p.option("--call-tokens", "N",
             "Tokens per forward() call of the prefill; progress is printed after each "
             "(default 131072).");
    p.option("--json", "FILE", "Also write the results as JSON (what tests/bench/compare.py reads).");
    p.flag("--stages", "Also time each stage of the prefill (norms, products, lightning, attention, the MoE steps "
                       "and its host round trip) with CUDA events between them; the table lists the longest context's "
                       "stages, the JSON every context's. The events make the prefill slightly slower.");
    p.flag("--kernels", "Time the kernels alone (attention and lightning prefill at each context, the MoE block and "
                        "one expert's GEMMs at --chunk tokens) instead of the model.");
    p.option("--only", "LIST",
             "With --kernels, only these of attention, lightning, experts (e.g. --only lightning: the lightning rows "
             "at 1M without the attention's half minute).");
    if (int rc = parse_or_exit(p, args); rc >= 0) return rc;

    long long decode_tokens = 0, follow_up = 0, seed = 0, chunk = 0, call_tokens = 0;
    if (!p.int_value("--decode-tokens", decode_tokens, 32) || !p.int_value("--follow-up", follow_up, 50) ||
        !p.int_value("--seed", seed, 1) || !p.int_value("--chunk", chunk, 0) ||
        !p.int_value("--call-tokens", call_tokens, 131072))
        return usage(p.error());
    if (decode_tokens < 1 || decode_tokens > 100000) return usage("--decode-tokens expects 1 to 100000 steps");
    if (follow_up < 0 || follow_up > 1000000) return usage("--follow-up expects 0 to 1000000 tokens");
    if (seed < 0) return usage("--seed expects a non-negative number");
    if (p.has("--chunk") && chunk < 1) return usage("--chunk expects a positive number of tokens");
    if (call_tokens < 1) return usage("--call-tokens expects a positive number of tokens");
    const bool kernels = p.has("--kernels");
    if (kernels && chunk == 0) chunk = 8192;  // the MoE block's tokens: the shape of the records so far
    if (kernels && p.has("--stages")) return usage("--stages times the model's prefill and does not apply to --kernels");
    if (!kernels && p.has("--only")) return usage("--only selects kernels and applies only to --kernels");
    kernel_groups groups;
    std::string error;
    if (p.has("--only") && !parse_only(p.value_or("--only", ""), groups, error)) return usage(error);
    const auto contexts =
        parse_contexts(p.value_or("--contexts", kernels ? "8192,32768,131072" : "8192,131072,1048576"), error);
    if (!contexts) return usage(error);
    const std::string precision = p.value_or("--precision", "fast");
    if (precision != "fast" && precision != "reference")
        return usage("--precision expects fast or reference, got '" + precision + "'");

    bench::bench_result r;
    r.mode = kernels ? "kernels" : "model";
    r.config_name = p.value_or("--config", "w16");
    r.precision = precision;
    r.seed = uint64_t(seed);
    r.chunk = chunk;
    try {
        r.config = bench::bench_config(r.config_name);
    } catch (const std::exception& e) {
        return usage(std::string("--config: ") + e.what());
    }

    const gpu_report gpus = query_gpus();
    if (gpus.devices.empty()) {
        std::fprintf(stderr, "m1 bench needs a CUDA GPU: %s\n",
                     cuda_built_in() ? ("no CUDA device is visible (" + gpus.why_none + ")").c_str()
                                     : "this m1 was built without the CUDA backend (configure with "
                                       "-DM1_ENABLE_CUDA=ON where nvcc is installed)");
        return 1;
    }
#ifndef M1_WITH_CUDA_BACKEND
    std::fprintf(stderr, "m1 bench needs a CUDA GPU: this m1 was built without the CUDA backend\n");
    return 1;
#else
    const auto write_outputs = [&]() -> bool {
        std::fputs(bench::format_table(r).c_str(), stdout);
        std::fflush(stdout);
        if (const auto path = p.value("--json")) {
            std::ofstream out(*path);
            out << bench::to_json(r).dump(2) << "\n";
            out.close();
            if (!out) {
                fail("bench", *path + ": cannot write the JSON results");
                return false;
            }
        }
        return true;
    };
    const auto progress = [](const std::string& line) {
        std::fprintf(stderr, "m1 bench: %s\n", line.c_str());
        std::fflush(stderr);
    };
    try {
        r.date = utc_now();
        r.device = bench::query_device(0);
        progress("measuring the ceilings on " + r.device.name);
        r.ceil = bench::measure_ceilings();
        if (kernels) {
            bench::kernel_run_options o;
            o.attention = groups.attention;
            o.lightning = groups.lightning;
            o.experts = groups.experts;
            o.config = r.config;
            o.contexts = *contexts;
            o.chunk = chunk;
            o.seed = uint64_t(seed);
            run_kernel_bench(o, r);
        } else {
            bench::model_run_options o;
            o.config = r.config;
            o.seed = uint64_t(seed);
            o.reference_precision = precision == "reference";
            o.contexts = *contexts;
            o.decode_tokens = int(decode_tokens);
            o.follow_up = int(follow_up);
            o.chunk = chunk;
            o.call_tokens = call_tokens;
            o.stages = p.has("--stages");
            if (o.stages)
                r.notes.push_back("--stages: prefill times include a CUDA event after each stage of each layer and chunk");
            o.progress = progress;
            o.on_context = [&](const bench::bench_result& partial) {
                if (const auto path = p.value("--json")) {
                    std::ofstream out(*path);
                    out << bench::to_json(partial).dump(2) << "\n";
                }
                const bench::context_result& c = partial.contexts.back();
                char line[160];
                std::snprintf(line, sizeof line, "context %lld: prefill %.3f s (cumulative), decode %.2f ms/token",
                              (long long)c.context, c.prefill_s, 1e3 * c.decode_s);
                progress(line);
            };
            progress("generating random weights (" + r.config_name + ") on the GPU");
            run_model_bench(o, r);
        }
    } catch (const std::exception& e) {
        r.error = e.what();
        write_outputs();
        return fail("bench", e.what());
    }
    return write_outputs() ? 0 : 1;
#endif
}

}  // namespace m1::cli
