// The kernel-level part of `m1 bench` (--kernels): our kernels alone at the shapes of the configuration, on random
// inputs (never zeros), timed with CUDA events (median after a warm-up), each against its floor from the ceilings
// measured in the same run. tests/bench/compare.py times PyTorch's peers at the same shapes.
//
//   attention prefill   causal GQA softmax attention of n queries over n keys (a fresh prefill: pos0 = 0), nh
//                       heads × d, g kv heads, through launch_attention (the backend's choice of kernel: the Hopper
//                       wgmma kernel for d = 128 on sm_90, else the tiled one); q fp32, KV cache bf16, o fp32 as the
//                       backend feeds it; random data. FLOPs 4·d·nh·n(n+1)/2; floor = FLOPs / GEMM ceiling.
//   lightning prefill   launch_lightning_prefill over n tokens, all nh heads of the fused qkv layout, block 256, the
//                       decay table of layer 0: bf16 q/k/v and o (what the fast backend feeds it, SiLU already
//                       applied; on sm_90a the Hopper kernel, then the mma.sync fused kernel for comparison), bf16
//                       with SiLU on load, and fp32 (reference precision). Floor = the bf16-I/O
//                       memory floor (q, k, v read and o written once in bf16, the state read and written in fp32),
//                       the floor the issue quotes.
//   MoE block           moe_forward on `chunk` tokens (routing, grouping, per-expert GEMMs, SwiGLU, combine), fast
//                       precision; FLOPs of the k experts per token; floor = FLOPs / GEMM ceiling.
//   expert GEMM w13/w2  one expert's products at the rows an expert gets on average (chunk·k/E): linear_bf16
//                       (bf16 in, fp32 out), the cuBLAS call the experts use.
// A shape whose buffers would not fit in the free memory is reported as skipped.
//
// Thread-safety: one run at a time per process (it uses the current device).
#pragma once

#include "engine/bench/bench_report.h"

#include <vector>

namespace m1::bench {

struct kernel_run_options {
    model_config config;            // widths: heads, kv heads, head_dim, hidden, intermediate, experts, top-k
    std::vector<int64_t> contexts;  // attention and lightning prefill lengths
    int64_t chunk = 8192;           // tokens of the MoE block (one prefill chunk)
    uint64_t seed = 1;
    bool attention = true, lightning = true, experts = true;  // which kernels run (m1 bench --only)
};

// Appends to r.kernels; the floors use r.ceil (measure the ceilings first). Throws cuda_error on a failed call.
void run_kernel_bench(const kernel_run_options& o, bench_result& r);

}  // namespace m1::bench
