// What one `m1 bench` run measured, and its two outputs: a JSON document (for tests/bench/compare.py and
// RESULTS.md) and a plain-text table. The floors and "% of floor" are computed here from the configuration and the
// ceilings measured in the same run (bench_floors.h), so every printed ratio has its inputs in the JSON too.
//
// Conventions: times in seconds, bytes in bytes, rates per second; "% of floor" = floor time / measured time × 100
// (100% = at the physical limit); "× floor" = measured / floor. A value < 0 means "not measured".
// Ownership: plain values. Thread-safety: free functions.
#pragma once

#include "engine/bench/bench_floors.h"
#include "engine/model/config.h"

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace m1::bench {

struct device_info {
    std::string name;
    int sms = 0;
    double memory_bytes = 0;
};

struct ceilings {
    double copy_bytes_per_s = -1;  // device-to-device copy, bytes read + written
    double gemm_flops_per_s = -1;  // cuBLAS bf16 GEMM 8192³ on random data, fp32 output
};

// Device time of one stage of the prefill (`m1 bench --stages`, engine/cuda/cuda_stage_clock.h), summed over the
// layers and chunks of the prefill from token 0.
struct stage_time {
    std::string stage;
    double seconds = 0;
    int64_t intervals = 0;  // how many times the stage ran (layers × chunks)
};

// One context of the incremental prefill: the state is prefilled from token 0 to `context` in forward() calls that
// continue it, so prefill_s is the cumulative time from token 0 (the same work as a fresh prefill of `context`
// tokens; its floor is the floor of that fresh prefill).
struct context_result {
    int64_t context = 0;
    double prefill_s = -1;  // cumulative, token 0 .. context
    double segment_s = -1;  // this context's part (previous context .. context)
    double decode_s = -1;   // median time of one decode step (forward of 1 token + sampling on the host)
    int decode_steps = 0;
    double used_bytes = -1;  // GPU memory in use after this context's measurements (cudaMemGetInfo)
    std::vector<stage_time> stages;  // with --stages: cumulative per stage, token 0 .. context (else empty)
};

struct follow_up_result {
    int64_t prefix = 0, tokens = 0;
    double clone_s = -1, forward_s = -1, ttft_s = -1;  // ttft = clone + forward of the tokens + sampling
    std::string error;                                 // non-empty when it failed (e.g. out of memory)
};

struct kernel_result {
    std::string name;   // "attention prefill (tiled)", "lightning prefill", "expert GEMM w13", ...
    std::string shape;  // human-readable shape
    int64_t tokens = 0;
    double seconds = -1;          // median
    double flops = 0, bytes = 0;  // work counted for the rate; 0 when not meaningful
    double floor_s = -1;          // max(flops / GEMM rate, bytes / copy rate), or a named floor (see note)
    std::string note;
};

struct bench_result {
    std::string tool = "m1 bench";
    std::string date;         // UTC, ISO 8601
    std::string mode;         // "model" or "kernels"
    std::string config_name;  // as given to --config
    model_config config;
    std::string precision;  // "fast" or "reference"
    uint64_t seed = 0;
    int64_t chunk = 0;
    device_info device;
    ceilings ceil;
    double load_s = -1;               // random weights generated on the GPU
    std::string plan;                 // the memory plan's description
    double baseline_used_bytes = -1;  // GPU memory in use before the model (other processes, CUDA context)
    double peak_used_bytes = -1;      // highest cudaMemGetInfo reading, sampled after each phase
    std::vector<context_result> contexts;
    follow_up_result follow_up;
    std::vector<kernel_result> kernels;
    std::vector<std::string> notes;
    std::string error;  // set when the run stopped early; what was measured before stays
};

// The layout of our engine for a precision: bf16 weights, fp32 router and LM head, fp32 lightning state, KV cache
// bf16 (fast) or fp32 (reference).
floor_layout engine_layout(const std::string& precision);

nlohmann::json to_json(const bench_result& r);
std::string format_table(const bench_result& r);

}  // namespace m1::bench
