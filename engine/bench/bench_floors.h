// The physical floors of a benchmark run, counted from the model configuration (shared/guide/gpu.md, "two numbers
// first"): the fewest bytes a decode step must read and the FLOPs a prefill must do, turned into times with the
// ceilings measured in the same run (device copy bandwidth, bf16 GEMM rate). Measured time over floor is the gap.
//
// Decode (one token, batch 1), bytes read:
//   attention   every layer's projections (lightning: qkv 3D×H, output gate D×H, out H×D; softmax: q D×H,
//               k and v KV×H each, o H×D), in weight_bytes
//   experts     k of the E experts per layer: w1, w3 (I×H) and w2 (H×I), in weight_bytes
//   router      E×H per layer, in router_bytes (fp32 in the checkpoint and in our engine)
//   lm_head     V×H, in lm_head_bytes: 2 for a bf16 head (the W16 figures, 205 / 195 / 146 tok/s, and our
//               engine since it keeps a bf16 checkpoint's head in bf16), 4 for an fp32 one
//   kv_cache    softmax layers × context × 2 (k, v) × KV, in kv_bytes (2: bf16, fast precision; 4: fp32, reference)
//   lightning   each lightning layer's nh×d×d state, read and written once, in state_bytes (fp32)
//   other       norm weights (fp32) and one embedding row
// Prefill of `tokens` tokens after pos0 cached ones, FLOPs (2 per multiply-add):
//   dense       2 × (projection parameters) per token;  experts 2 × k × 3·H·I per token;  router 2·E·H per token
//   attention   causal softmax layers: QKᵀ and PV over the keys each query sees: 4·d·nh per (query, key) pair,
//               Σ over queries of (position + 1) keys (= 2·n²·d·nh for a fresh prefill, the formula)
//   lightning   block form with block B: intra-block QKᵀ and PV over the causal half (2·d·m(m+1) per block of m),
//               inter-block q·S (2·d² per token) and state update kᵀv (2·d² per token), per head
//   lm_head     one row (the last token's logits): 2·V·H
// The prefill floor is max(FLOPs / GEMM rate, bytes / copy bandwidth) with bytes = every weight read once plus the
// KV cache written once; at real widths the FLOP term dominates from a few hundred tokens on.
//
// Thread-safety: pure functions.
#pragma once

#include "engine/model/config.h"

#include <cstdint>

namespace m1::bench {

// Bytes per element of each kind of tensor in the engine whose floor is computed.
struct floor_layout {
    int weight_bytes = 2;   // bf16 projections and experts
    int router_bytes = 4;   // fp32 router
    int lm_head_bytes = 4;  // fp32 LM head; 2 for a bf16 head (bench_report's engine layout)
    int kv_bytes = 2;       // bf16 KV cache (fast precision); 4 in reference precision
    int state_bytes = 4;    // fp32 lightning state
};

struct decode_bytes {
    double attention = 0, experts = 0, router = 0, lm_head = 0, kv_cache = 0, lightning_state = 0, other = 0;
    double total() const { return attention + experts + router + lm_head + kv_cache + lightning_state + other; }
};

// Bytes one decode step reads (and, for the lightning state, writes) with `context` tokens already cached.
decode_bytes decode_bytes_per_token(const model_config& c, int64_t context, const floor_layout& layout = {});

struct prefill_flops {
    double dense = 0, experts = 0, router = 0, attention = 0, lightning = 0, lm_head = 0;
    double total() const { return dense + experts + router + attention + lightning + lm_head; }
};

// FLOPs of a prefill of `tokens` tokens that continues after `pos0` cached tokens (pos0 = 0: a fresh prefill).
// Prefills split into consecutive calls add up to the FLOPs of one call over the whole range.
prefill_flops prefill_flops_for(const model_config& c, int64_t tokens, int64_t pos0 = 0);

// Fewest bytes such a prefill moves: every weight once, the new tokens' keys and values written once.
double prefill_min_bytes(const model_config& c, int64_t tokens, const floor_layout& layout = {});

// Floors in seconds with the measured ceilings (bytes/s of a device copy counting read + write; FLOP/s of bf16 GEMM).
double decode_floor_s(const model_config& c, int64_t context, double copy_bytes_per_s, const floor_layout& layout = {});
double prefill_floor_s(const model_config& c, int64_t tokens, double copy_bytes_per_s, double gemm_flops_per_s,
                       const floor_layout& layout = {});

// Kernel-level counts (the shapes m1 bench --kernels and tests/bench/compare.py time).
// Causal softmax attention of n queries at positions [pos0, pos0 + n), nh heads of width d.
double causal_attention_flops(int64_t n, int64_t pos0, int64_t nh, int64_t d);
// Lightning block-form prefill of n tokens (per the counting above), nh heads of width d, block B.
double lightning_prefill_flops(int64_t n, int64_t nh, int64_t d, int64_t block);
// Fewest bytes of that prefill: q, k, v read and o written once in io_bytes per element (2: bf16 I/O, the floor
// the issue quotes; 4: the fp32 activations our backend feeds the kernel), the fp32 state read and written once.
double lightning_prefill_min_bytes(int64_t n, int64_t nh, int64_t d, int io_bytes);
// SwiGLU experts for `tokens` tokens, k experts each: 2·tokens·k·3·H·I.
double expert_flops(int64_t tokens, int64_t k, int64_t hidden, int64_t intermediate);

}  // namespace m1::bench
