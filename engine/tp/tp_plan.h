// Which slice of every tensor each tensor-parallel rank owns (spec minimax-m1.md §5, as vLLM splits MiniMax-M1).
//
//   attention (both kinds)  query heads split contiguously, whole heads: rank r owns heads [r·nh/TP, (r+1)·nh/TP).
//                           lightning: qkv_proj rows (3·d per head, per-head interleaved), output_gate rows and
//                           norm.weight entries of those heads; out_proj columns (row-parallel, all-reduced).
//                           softmax: q_proj rows of those heads; o_proj columns (row-parallel, all-reduced).
//   KV heads                split when TP <= kv heads (TP must divide them), replicated when TP > kv heads (kv heads
//                           must divide TP): rank r then holds the one kv head ⌊first global q head / group⌋.
//   lightning slopes        taken from the GLOBAL head index (slope of head r·nh/TP + j for local head j).
//   experts                 split along the intermediate dimension: w1/w3 rows, w2 columns (all-reduced).
//   embedding and LM head   vocabulary-parallel: rows [r·V/TP, (r+1)·V/TP).
//   router, layer norms     replicated.
//
// Ownership: plain values. Thread-safety: const members may be used from any number of threads.
#pragma once

#include "engine/model/config.h"

#include <cstdint>
#include <stdexcept>
#include <vector>

namespace m1::tp {

// Thrown when a model cannot be split over the requested number of ranks; what() names the TP size, the dimension
// that does not divide and the config's numbers.
struct tp_error : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

// A half-open index range [begin, end).
struct index_range {
    int64_t begin = 0;
    int64_t end = 0;
    int64_t size() const { return end - begin; }
    bool operator==(const index_range&) const = default;
};

struct rank_slice {
    int rank = 0;
    index_range q_heads;       // global query heads (lightning and softmax layers)
    index_range kv_heads;      // global kv heads held (one head when replicated)
    index_range intermediate;  // expert intermediate rows (w1/w3 rows, w2 columns)
    index_range vocab;         // embedding and LM head rows
    // Rows of the per-head interleaved qkv_proj (3·d per head).
    index_range qkv_rows(int64_t head_dim) const { return {q_heads.begin * 3 * head_dim, q_heads.end * 3 * head_dim}; }
    // Rows of output_gate / q_proj, entries of norm.weight, columns of out_proj / o_proj (d per head).
    index_range attn_rows(int64_t head_dim) const { return {q_heads.begin * head_dim, q_heads.end * head_dim}; }
    // Rows of k_proj / v_proj.
    index_range kv_rows(int64_t head_dim) const { return {kv_heads.begin * head_dim, kv_heads.end * head_dim}; }
};

struct tp_plan {
    int size = 1;                       // TP, the number of ranks
    int64_t heads_per_rank = 0;         // nh / TP
    int64_t kv_heads_per_rank = 0;      // kv / TP when split, 1 when replicated
    bool kv_replicated = false;         // TP > kv heads
    int64_t intermediate_per_rank = 0;  // I / TP
    int64_t vocab_per_rank = 0;         // V / TP
    std::vector<rank_slice> ranks;      // size TP

    // The config one rank computes with: its head, kv head, intermediate and vocabulary counts; the rest unchanged.
    model_config rank_config(const model_config& c) const;
};

// The plan for splitting c over tp_size ranks. Throws tp_error when tp_size < 1 or when it does not divide the
// query heads, the kv heads (or is not a multiple of them), the expert intermediate size or the vocabulary.
tp_plan make_tp_plan(const model_config& c, int tp_size);

}  // namespace m1::tp
