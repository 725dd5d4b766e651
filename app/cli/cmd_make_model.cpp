// m1 make-model: writes a random-weight model directory in the official MiniMax-M1 layout (engine/model/model_presets.h).
#include "app/cli/command.h"
#include "engine/model/demo_tokenizer.h"
#include "engine/model/model_presets.h"
#include "engine/model/param_count.h"
#include "engine/tokenizer/tokenizer.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace m1::cli {

namespace {

namespace fs = std::filesystem;

std::string read_file(const std::string& path, const char* what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path + ": cannot read the " + what);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// 863.1 KB, 236.5 MB, 99.4 GB: decimal units, as model cards give sizes.
std::string size_text(uint64_t bytes) {
    const double v = static_cast<double>(bytes);
    char buf[64];
    if (v >= 1e9) std::snprintf(buf, sizeof buf, "%.1f GB", v / 1e9);
    else if (v >= 1e6) std::snprintf(buf, sizeof buf, "%.1f MB", v / 1e6);
    else std::snprintf(buf, sizeof buf, "%.1f KB", v / 1e3);
    return buf;
}

}  // namespace

int run_make_model(const std::vector<std::string>& args) {
    arg_parser p("make-model", "--preset NAME --seed N --out DIR [--tokenizer FILE] [--config-only]",
                 "Writes a complete random-weight model directory in the official MiniMax-M1 layout: config.json "
                 "(official field names), sharded safetensors with model.safetensors.index.json (router fp32, other "
                 "weights bf16), tokenizer.json and tokenizer_config.json. The same preset, seed and tokenizer give "
                 "byte-identical files. Presets: tiny (runs fast on a CPU), small (mid-size, for CPU benchmarks), "
                 "w16 (MiniMax-M1's real widths on 16 layers; its weights are ~99 GB, so only --config-only is "
                 "allowed).");
    p.option("--preset", "NAME", "tiny, small or w16.")
        .option("--seed", "N", "Seed of the random weights (a non-negative integer).")
        .option("--out", "DIR", "Folder to create (must not exist or be empty).")
        .option("--tokenizer", "FILE",
                "A tokenizer.json to copy into the model (e.g. MiniMax-M1's); its sibling tokenizer_config.json is "
                "copied too when present. Without it the model gets the project's own small tokenizer.")
        .option("--corpus", "DIR",
                "Folder of texts the project's tokenizer is trained on (default: the source tree's "
                "resources/demo/docs). Ignored with --tokenizer.")
        .flag("--config-only", "Write config.json, the index and the tokenizer files but no weights.");
    if (int rc = parse_or_exit(p, args); rc >= 0) return rc;
    long long seed = 0;
    if (!p.int_value("--seed", seed, -1)) {
        std::fprintf(stderr, "m1: %s\n", p.error().c_str());
        return 2;
    }
    for (const char* required : {"--preset", "--seed", "--out"}) {
        if (!p.has(required)) {
            std::fprintf(stderr, "m1: make-model needs %s (see m1 make-model --help)\n", required);
            return 2;
        }
    }
    if (seed < 0) {
        std::fprintf(stderr, "m1: --seed must be a non-negative integer\n");
        return 2;
    }
    const std::string preset = *p.value("--preset");
    const auto known = preset_names();
    if (std::find(known.begin(), known.end(), preset) == known.end()) {
        std::fprintf(stderr, "m1: unknown preset '%s' (known: tiny, small, w16)\n", preset.c_str());
        return 2;
    }
    const bool config_only = p.has("--config-only");
    try {
        make_model_options o;
        o.out_dir = *p.value("--out");
        o.seed = static_cast<uint64_t>(seed);
        o.config_only = config_only;
        std::string tokenizer_note;
        if (auto tok = p.value("--tokenizer")) {
            o.tokenizer_json = read_file(*tok, "tokenizer");
            // Loading it through the engine's tokenizer refuses a file of another kind before anything is written.
            const auto loaded = tokenizer::from_json(o.tokenizer_json, *tok);
            const fs::path sibling = fs::path(*tok).parent_path() / "tokenizer_config.json";
            o.tokenizer_config_json =
                fs::exists(sibling) ? read_file(sibling.string(), "tokenizer config") : demo_tokenizer_config_json();
            o.config = preset_config(preset, static_cast<int64_t>(loaded->size()));
            tokenizer_note = "copied from " + *tok;
        } else {
            const std::string corpus = p.value_or("--corpus", default_demo_corpus_dir());
            const auto merges = train_bpe_merges(read_demo_corpus(corpus), k_demo_tokenizer_merges);
            o.tokenizer_json = demo_tokenizer_json(merges);
            o.tokenizer_config_json = demo_tokenizer_config_json();
            const int64_t size =
                static_cast<int64_t>(tokenizer::from_json(o.tokenizer_json, "project tokenizer")->size());
            o.config = preset_config(preset, size);
            tokenizer_note = "the project's own (" + std::to_string(size) + " ids, " +
                             std::to_string(merges.size()) + " merges learned from " + corpus + ")";
        }
        const param_counts counts = count_params(o.config, expected_tensors(o.config));
        if (preset_is_config_only(preset) && !config_only) {
            std::fprintf(stderr,
                         "m1: the %s preset's weights take %s (%lld parameters); refusing to write them. Use "
                         "--config-only to write its config.json, index and tokenizer only.\n",
                         preset.c_str(), size_text(counts.bytes).c_str(), static_cast<long long>(counts.total));
            return 2;
        }
        make_random_model(o);
        const size_t shards = shard_plan(o.config).size();
        std::printf("wrote %s: preset %s, seed %lld, %lld parameters, %s in %zu shards%s\n", o.out_dir.c_str(),
                    preset.c_str(), seed, static_cast<long long>(counts.total), size_text(counts.bytes).c_str(), shards,
                    config_only ? " (config and index only, no weights written)" : "");
        std::printf("vocab %lld; tokenizer: %s\n", static_cast<long long>(o.config.vocab_size), tokenizer_note.c_str());
        std::printf("random weights: this model is for tests and demos and produces meaningless text\n");
    } catch (const config_error& e) {
        return fail("make-model", e.what());
    } catch (const std::exception& e) {
        return fail("make-model", e.what());
    }
    return 0;
}

}  // namespace m1::cli
