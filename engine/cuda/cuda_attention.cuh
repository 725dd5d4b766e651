// Softmax attention on the GPU (CPU counterpart: engine/cpu/cpu_attention.h): partial RoPE (rotate-half inside
// the first rotary_dim dims of a head, angle fp32(pos)·inv_freq in fp32), GQA (query head h reads kv head
// h / (nh/g)), scale 1/√d, causal, fp32 softmax, KV cache of post-RoPE keys and values in bf16 (fast) or fp32
// (reference precision).
//
// The attention kernels serve prefill and decode alike: query t of the call sits at position pos0 + t and sees
// cache rows [0, pos0 + t]. The simple kernel (one CTA per query and head, online softmax over key tiles, fp32
// throughout) is exact to fp32 rounding; the tiled kernel (FlashAttention-2 style: 128 queries per CTA, 64-key
// tiles, mma.sync on the tensor cores) rounds q and the softmax weights to bf16, which the fast precision accepts;
// the Hopper kernel (FlashAttention-3 style: wgmma, TMA, a producer warp feeding two consumer warpgroups) rounds
// the same two things the same way.
//
// Dimension letters: n new tokens, P = pos0 cached tokens, nh query heads, g kv heads, d head_dim, KV = g·d.
// Thread-safety: launchers are stateless.
#pragma once

#include "engine/cuda/cuda_util.h"

#include <cstdint>

namespace m1::cuda {

// Rotates q (n rows of nh heads, row stride ld_q) in place, and writes the rotated k and the plain v of the n new
// tokens (row stride ld_kv, g heads) into the caches at rows [pos0, pos0 + n) (row width KV).
struct rope_cache_params {
    float* q = nullptr;
    int64_t ld_q = 0;
    const float* k = nullptr;
    const float* v = nullptr;
    int64_t ld_kv = 0;
    int64_t n = 0, n_heads = 0, n_kv_heads = 0, d = 0, rotary_dim = 0, pos0 = 0;
    const float* inv_freq = nullptr;  // (rotary_dim / 2)
    void* k_cache = nullptr;          // (capacity, KV) bf16, or float when kv_f32
    void* v_cache = nullptr;          // (capacity, KV)
    bool kv_f32 = false;
    const int64_t* pos_dev = nullptr;  // device: read pos0 from here instead (decode graphs replay one launch)
};
cudaError_t launch_rope_cache(const rope_cache_params& p, cudaStream_t s);

struct attention_params {
    const float* q = nullptr;  // (n, nh·d) post-RoPE queries, row stride ld_q
    int64_t ld_q = 0;
    const void* k_cache = nullptr;  // (pos0 + n, KV) bf16, or float when kv_f32
    const void* v_cache = nullptr;  // (pos0 + n, KV)
    bool kv_f32 = false;
    int64_t n = 0, n_heads = 0, n_kv_heads = 0, d = 0, pos0 = 0;
    float scale = 1;
    float* o = nullptr;  // (n, nh·d) attention output, the o_proj input
};
// d <= 256. Prefill calls (n >= 16) over a bf16 cache go to the Hopper kernel (cuda_attention_wgmma.cu) for d = 128
// on compute capability 9.0, else to the tiled tensor-core kernel (cuda_attention_tiled.cu) for d in {16, 32, 64,
// 128}; decode steps and the fp32 cache use the simple kernel.
cudaError_t launch_attention(const attention_params& p, cudaStream_t s);

// The two kernels behind launch_attention, callable directly (tests compare both with a float64 reference).
cudaError_t launch_attention_simple(const attention_params& p, cudaStream_t s);
bool attention_tiled_supported(const attention_params& p);
cudaError_t launch_attention_tiled(const attention_params& p, cudaStream_t s);
// The Hopper kernel (cuda_attention_wgmma.cu: wgmma, TMA, warp-specialised, FlashAttention-3 style), built for
// sm_90a: bf16 cache, d = 128, compute capability 9.0, 16-byte aligned q and caches. variant picks one of the
// compiled pipelines: 0 a 3-stage K/V ring, 1 a 2-stage one, 2 the 3-stage ring with each warpgroup's softmax
// overlapping its own P·V (FlashAttention-3's intra-warpgroup pipelining), 3 variant 0's pipeline with the two
// consumer warpgroups taking turns at the tensor cores through named barriers, one's softmax under the other's
// products (FlashAttention-3's ping-pong schedule), 4 (the default) both: ping-pong turns, and each softmax under
// the group's own P·V as well. On an H200 with random data variant 4 runs 581 TFLOP/s at 128K against variant 3's
// 538 and variant 0's 515, and 568 against 497 on the last 64K queries of a 1M prefill (tests/bench/RESULTS.md,
// session 7). Stateless; encodes two TMA descriptors on the host per call.
constexpr int k_attention_wgmma_variants = 5;
constexpr int k_attention_wgmma_default = 4;
bool attention_wgmma_supported(const attention_params& p);
cudaError_t launch_attention_wgmma(const attention_params& p, cudaStream_t s, int variant = k_attention_wgmma_default);

// Flash-decoding for few queries (n <= 8) over a long cache: the keys are split into chunks of
// k_decode_split_keys, one CTA per (chunk, head, query) computes the chunk's (max, sum, unnormalised output), and a
// combine kernel merges the chunks. The grid is sized by max_keys, CTAs past the live keys exit at once, and the
// position can come from device memory: one captured launch serves every decode step while the cache keeps its
// capacity. fp32 throughout, like the simple kernel.
constexpr int64_t k_decode_split_keys = 1024;
struct attention_decode_params {
    attention_params a;                // a.pos0 is ignored when pos_dev is set
    const int64_t* pos_dev = nullptr;  // device: cached tokens before this call
    int64_t max_keys = 0;              // an upper bound of pos0 + n over the calls (the cache capacity)
    float* part = nullptr;             // attention_decode_scratch_floats(...) floats
};
size_t attention_decode_scratch_floats(int64_t n, int64_t n_heads, int64_t d, int64_t max_keys);
cudaError_t launch_attention_decode(const attention_decode_params& p, cudaStream_t s);
// The grouped-query kernels launch_attention_decode prefers (one CTA per KV head and chunk, every key read once):
// on the tensor cores for a bf16 cache with d = 64 or 128 and up to 16 query heads per KV head; otherwise in fp32
// on the CUDA cores for up to 8 query heads per KV head and d a multiple of 32 up to 256. 16-byte aligned caches.
// Callable directly (tests).
bool attention_decode_gqa_supported(const attention_decode_params& p);
cudaError_t launch_attention_decode_gqa(const attention_decode_params& p, int64_t splits, cudaStream_t s);

}  // namespace m1::cuda
