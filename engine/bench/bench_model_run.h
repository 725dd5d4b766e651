// The end-to-end part of `m1 bench`: the CUDA backend with seeded random weights generated on the GPU (equal to
// those `m1 make-model --seed` writes), one sequence, batch 1.
//
//   1. warm-up: a throwaway state prefills min(chunk, first context) tokens and decodes 2 (first-use allocations,
//      cuBLAS heuristics stay out of the numbers);
//   2. incremental prefill on ONE state: token 0 → contexts[0] → contexts[1] → ..., each step in forward() calls of
//      at most call_tokens tokens (progress is reported after each call); the time at a context is the cumulative
//      time from token 0, the same work as a fresh prefill of that many tokens;
//   3. at each context: decode_tokens steps (1 token each, greedy sampling on the host, the sampled token fed back),
//      median time; on a clone of the state for every context but the last, so the next prefill continues from
//      exactly the context it names; at the last context on the state itself;
//   4. at the last context, before its decode: the follow-up: clone the state (a fork), forward follow_up tokens,
//      sample the first token; time to first token = clone + forward + sampling;
//   5. GPU memory in use (cudaMemGetInfo) sampled after each phase; the peak of those samples.
// With `stages`, a stage clock (engine/cuda/cuda_stage_clock.h) is installed for the prefill of step 2 only (not
// the warm-up, the decode or the follow-up), collected after each forward() call, and its cumulative totals are
// copied into each context's result.
// Random token ids come from a generator seeded with `seed`. The backend's forward() returns after its logits are
// on the host, so host clocks around it are exact (a device synchronisation after each call makes sure).
//
// Note: the backend grows a state's KV cache to max(needed, 2 × capacity); a clone holds exactly its tokens, so
// the first token appended to a clone (decode, follow-up) reallocates its cache at twice the size. That is what the
// product pays for a fork, so it is measured as is; the memory peak includes it.
//
// Thread-safety: one run at a time per process (it uses the current device).
#pragma once

#include "engine/bench/bench_report.h"

#include <functional>
#include <string>
#include <vector>

namespace m1::bench {

struct model_run_options {
    model_config config;
    uint64_t seed = 1;
    bool reference_precision = false;  // false: fast (bf16 GEMM inputs, bf16 KV cache)
    std::vector<int64_t> contexts;     // ascending
    int decode_tokens = 32;
    int follow_up = 50;                                // 0: no follow-up
    int64_t chunk = 0;                                 // the backend's prefill chunk (max_chunk; 0: its choice)
    int64_t call_tokens = 131072;                      // tokens per forward() call of the prefill
    bool stages = false;  // also time each prefill stage with events (context_result::stages; a little slower)
    std::function<void(const std::string&)> progress;  // one line per prefill call; may be empty
    // Called after each context's measurements with the results so far (e.g. to rewrite the JSON, so that a run
    // stopped by a time limit keeps what it measured); may be empty.
    std::function<void(const bench_result&)> on_context;
};

// Fills r.load_s, r.plan, memory, r.contexts and r.follow_up as it goes. Throws (cuda_error, memory_plan_error,
// config_error) when the run cannot continue; what was measured until then stays in r.
void run_model_bench(const model_run_options& o, bench_result& r);

}  // namespace m1::bench
