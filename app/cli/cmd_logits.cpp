// m1 logits: the raw logits of a token sequence, for comparing backends and prefill strategies number for number.
#include "app/cli/command.h"
#include "engine/cpu/cpu_backend.h"
#ifdef M1_WITH_CUDA_BACKEND
#include "engine/cuda/cuda_backend.h"
#include "engine/cuda/cuda_tp_backend.h"
#endif
#include "engine/model/checkpoint.h"
#include "engine/model/session.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <span>
#include <stdexcept>

namespace m1::cli {

namespace {

// Whitespace-separated decimal token ids. Throws naming the file and the offending word.
std::vector<int32_t> read_ids(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::runtime_error(path + ": cannot open the ids file");
    std::vector<int32_t> ids;
    std::string word;
    while (in >> word) {
        size_t used = 0;
        long long v = -1;
        try {
            v = std::stoll(word, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != word.size() || v < 0 || v > INT32_MAX)
            throw std::runtime_error(path + ": '" + word + "' (word " + std::to_string(ids.size() + 1) +
                                     ") is not a token id");
        ids.push_back(static_cast<int32_t>(v));
    }
    if (ids.empty()) throw std::runtime_error(path + ": no token ids in the file");
    return ids;
}

}  // namespace

int run_logits(const std::vector<std::string>& args) {
    arg_parser p("logits", "--model DIR --ids FILE --out FILE [options]",
                 "Runs the token ids in FILE (whitespace-separated) through the model and writes their logits as raw "
                 "little-endian float32 [n_tokens x vocab_size], row-major. Every variant (backend, prefill chunk, "
                 "decode start) gives the same logits up to float rounding.");
    p.option("--model", "DIR", "Checkpoint directory (config.json, safetensors shards and their index).");
    p.option("--ids", "FILE", "Token ids, whitespace-separated.");
    p.option("--out", "FILE", "Where to write the logits.");
    p.option("--backend", "NAME",
             "cpu (default), cuda, or cuda-tpN (tensor parallel over N GPUs with NCCL; cuda-tpN-emulated: N ranks on "
             "one GPU).");
    p.option("--prefill-chunk", "N", "Prefill in chunks of N tokens (default: the whole prompt at once).");
    p.option("--decode-from", "K",
             "Prefill the first K tokens, then feed the rest one at a time through the decode path.");
    p.option("--valid-vocab", "N",
             "Ids >= N get -inf logits (the tokenizer's size; default: vocab_size, nothing masked).");
    p.option("--threads", "N", "CPU threads for per-head work (default: all cores).");
    if (int rc = parse_or_exit(p, args); rc >= 0) return rc;

    long long chunk = 0, decode_from = -1, valid_vocab = -1, threads = 0;
    if (!p.int_value("--prefill-chunk", chunk, 0) || !p.int_value("--decode-from", decode_from, -1) ||
        !p.int_value("--valid-vocab", valid_vocab, -1) || !p.int_value("--threads", threads, 0)) {
        std::fprintf(stderr, "m1: %s\n", p.error().c_str());
        return 2;
    }
    for (const char* required : {"--model", "--ids", "--out"})
        if (!p.has(required)) {
            std::fprintf(stderr, "m1: logits needs %s (see m1 logits --help)\n", required);
            return 2;
        }
    const std::string backend_name = p.value_or("--backend", "cpu");
    int tp_size = 0;  // cuda-tpN[-emulated]
#ifdef M1_WITH_CUDA_BACKEND
    bool tp_emulated = false;
    tp_size = cuda::parse_tp_backend_name(backend_name, tp_emulated);
#endif
    if (backend_name != "cpu" && backend_name != "cuda" && tp_size < 1) {
        std::fprintf(stderr, "m1: --backend expects cpu, cuda or cuda-tpN, got '%s'\n", backend_name.c_str());
        return 2;
    }
    if (p.has("--prefill-chunk") && chunk <= 0) {
        std::fprintf(stderr, "m1: --prefill-chunk expects a positive number of tokens\n");
        return 2;
    }
#ifndef M1_WITH_CUDA_BACKEND
    if (backend_name == "cuda")
        return fail("logits", "this m1 was built without CUDA (configure with -DM1_ENABLE_CUDA=ON; use --backend cpu)");
#endif

    try {
        const std::vector<int32_t> ids = read_ids(*p.value("--ids"));
        const int64_t n = static_cast<int64_t>(ids.size());
        if (decode_from > n)
            return fail("logits", "--decode-from " + std::to_string(decode_from) + " is past the " + std::to_string(n) +
                                      " ids in " + *p.value("--ids"));
        std::unique_ptr<backend> be;
        {
            std::unique_ptr<checkpoint> ck = checkpoint::open(*p.value("--model"));
#ifdef M1_WITH_CUDA_BACKEND
            if (tp_size > 0) {
                cuda::cuda_tp_options o;
                o.tp_size = tp_size;
                o.mode = tp_emulated ? cuda::tp_mode::emulated : cuda::tp_mode::nccl;
                be = std::make_unique<cuda::cuda_tp_backend>(*ck, o);
            } else if (backend_name == "cuda")
                be = std::make_unique<cuda::cuda_backend>(*ck);
            else
#endif
                be = std::make_unique<cpu::cpu_backend>(*ck, cpu::cpu_options{static_cast<int>(threads)});
        }
        const int64_t vocab = be->config().vocab_size;
        session s(*be, valid_vocab);
        std::vector<float> logits(static_cast<size_t>(n * vocab));
        const int64_t k = decode_from < 0 ? n : decode_from;
        s.prefill(std::span<const int32_t>(ids.data(), static_cast<size_t>(k)), chunk, {}, logits.data());
        for (int64_t t = k; t < n; ++t) {
            const std::vector<float>& row = s.decode(ids[static_cast<size_t>(t)]);
            std::copy(row.begin(), row.end(), logits.begin() + t * vocab);
        }
        const std::string out = *p.value("--out");
        std::FILE* f = std::fopen(out.c_str(), "wb");
        if (!f) return fail("logits", out + ": cannot open for writing");
        const size_t written = std::fwrite(logits.data(), sizeof(float), logits.size(), f);
        const bool closed = std::fclose(f) == 0;
        if (written != logits.size() || !closed) return fail("logits", out + ": write failed (disk full?)");
    } catch (const std::exception& e) {
        return fail("logits", e.what());
    }
    return 0;
}

}  // namespace m1::cli
