#include "engine/tp/tp_plan.h"

#include <string>

namespace m1::tp {

namespace {

void require_divides(int tp, int64_t count, const char* what) {
    if (count % tp != 0)
        throw tp_error("tensor parallelism: TP " + std::to_string(tp) + " does not divide the " +
                       std::to_string(count) + " " + what + " (each rank needs an equal, whole share)");
}

}  // namespace

model_config tp_plan::rank_config(const model_config& c) const {
    model_config r = c;
    r.num_heads = heads_per_rank;
    r.num_kv_heads = kv_heads_per_rank;
    r.intermediate_size = intermediate_per_rank;
    r.vocab_size = vocab_per_rank;
    return r;
}

tp_plan make_tp_plan(const model_config& c, int tp_size) {
    if (tp_size < 1)
        throw tp_error("tensor parallelism: the TP size must be at least 1, not " + std::to_string(tp_size));
    const int tp = tp_size;
    require_divides(tp, c.num_heads, "attention heads");
    const bool replicated = tp > c.num_kv_heads;
    if (replicated) {
        // Each rank's heads must then fall inside one GQA group, which holds when kv heads divide TP.
        if (tp % c.num_kv_heads != 0)
            throw tp_error("tensor parallelism: TP " + std::to_string(tp) + " is more than the " +
                           std::to_string(c.num_kv_heads) +
                           " kv heads but not a multiple of them, so a rank's query heads would span two kv heads");
    } else {
        require_divides(tp, c.num_kv_heads, "kv heads");
    }
    require_divides(tp, c.intermediate_size, "expert intermediate rows");
    require_divides(tp, c.vocab_size, "vocabulary rows");

    tp_plan p;
    p.size = tp;
    p.heads_per_rank = c.num_heads / tp;
    p.kv_replicated = replicated;
    p.kv_heads_per_rank = replicated ? 1 : c.num_kv_heads / tp;
    p.intermediate_per_rank = c.intermediate_size / tp;
    p.vocab_per_rank = c.vocab_size / tp;
    const int64_t group = c.num_heads / c.num_kv_heads;  // query heads per kv head
    for (int r = 0; r < tp; ++r) {
        rank_slice s;
        s.rank = r;
        s.q_heads = {r * p.heads_per_rank, (r + 1) * p.heads_per_rank};
        if (replicated) {
            const int64_t kv = s.q_heads.begin / group;
            s.kv_heads = {kv, kv + 1};
        } else {
            s.kv_heads = {r * p.kv_heads_per_rank, (r + 1) * p.kv_heads_per_rank};
        }
        s.intermediate = {r * p.intermediate_per_rank, (r + 1) * p.intermediate_per_rank};
        s.vocab = {r * p.vocab_per_rank, (r + 1) * p.vocab_per_rank};
        p.ranks.push_back(s);
    }
    return p;
}

}  // namespace m1::tp
