// The work order of the prefill attention kernels (cuda_attention_tiled.cu, cuda_attention_wgmma.cu): CTA index →
// (query head, KV head, query block). The query heads sharing one KV head are adjacent, so the second to last of
// them read the same keys from L2, and the last (longest, under the causal mask) query blocks come first, which
// evens out the tail of the grid. The grid is n_heads · ceil(n / block_queries) CTAs.
#pragma once

#include <cstdint>

namespace m1::cuda {

struct attention_block {
    int64_t h = 0, kvh = 0, qb = 0;  // query head, its KV head, query block (queries [qb·block, +block))
};

__device__ inline attention_block attention_block_of(int64_t cta, int64_t n, int64_t n_heads, int64_t n_kv_heads,
                                                     int64_t block_queries) {
    const int64_t group = n_heads / n_kv_heads, n_qb = (n + block_queries - 1) / block_queries;
    const int64_t head_in_group = cta % group;
    cta /= group;
    attention_block b;
    b.kvh = cta % n_kv_heads;
    b.qb = n_qb - 1 - cta / n_kv_heads;
    b.h = b.kvh * group + head_in_group;
    return b;
}

}  // namespace m1::cuda
