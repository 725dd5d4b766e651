#include "engine/tp/tp_weights.h"

#include <algorithm>

namespace m1::tp {

namespace {

// Rows [r.begin, r.end) of a row-major (·, cols) matrix.
std::vector<float> rows_of(const std::vector<float>& m, int64_t cols, index_range r) {
    return {m.begin() + r.begin * cols, m.begin() + r.end * cols};
}

// Columns [r.begin, r.end) of a row-major (rows, cols) matrix.
std::vector<float> cols_of(const std::vector<float>& m, int64_t cols, index_range r) {
    const int64_t rows = int64_t(m.size()) / cols;
    std::vector<float> out(static_cast<size_t>(rows * r.size()));
    for (int64_t i = 0; i < rows; ++i)
        std::copy_n(m.begin() + i * cols + r.begin, r.size(), out.begin() + i * r.size());
    return out;
}

size_t floats_of(const cpu::layer_weights& l) {
    size_t n = l.input_norm.size() + l.post_norm.size() + l.qkv.size() + l.output_gate.size() + l.out_norm.size() +
               l.out_proj.size() + l.q_proj.size() + l.k_proj.size() + l.v_proj.size() + l.o_proj.size() +
               l.router.size();
    for (const auto& e : l.experts) n += e.w1.size() + e.w3.size() + e.w2.size();
    return n;
}

}  // namespace

size_t rank_weights::bytes() const {
    size_t n = embed.size() + lm_head.size() + final_norm.size();
    for (const auto& l : layers) n += floats_of(l);
    return n * sizeof(float);
}

rank_weights slice_rank_weights(const cpu::model_weights& w, const model_config& c, const tp_plan& plan, int rank) {
    const rank_slice& s = plan.ranks.at(static_cast<size_t>(rank));
    const int64_t H = c.hidden_size, d = c.head_dim, D = c.attn_dim(), I = c.intermediate_size;
    rank_weights out;
    out.embed = rows_of(w.embed, H, s.vocab);
    out.lm_head = rows_of(w.lm_head, H, s.vocab);
    out.final_norm = w.final_norm;
    out.layers.reserve(w.layers.size());
    for (const cpu::layer_weights& l : w.layers) {
        cpu::layer_weights r;
        r.kind = l.kind;
        r.input_norm = l.input_norm;
        r.post_norm = l.post_norm;
        if (l.kind == layer_kind::lightning) {
            r.qkv = rows_of(l.qkv, H, s.qkv_rows(d));  // whole heads thanks to the per-head interleave
            r.output_gate = rows_of(l.output_gate, H, s.attn_rows(d));
            const index_range a = s.attn_rows(d);
            r.out_norm.assign(l.out_norm.begin() + a.begin, l.out_norm.begin() + a.end);
            r.out_proj = cols_of(l.out_proj, D, a);
        } else {
            r.q_proj = rows_of(l.q_proj, H, s.attn_rows(d));
            r.k_proj = rows_of(l.k_proj, H, s.kv_rows(d));
            r.v_proj = rows_of(l.v_proj, H, s.kv_rows(d));
            r.o_proj = cols_of(l.o_proj, D, s.attn_rows(d));
        }
        r.router = l.router;
        r.experts.reserve(l.experts.size());
        for (const cpu::expert_weights& e : l.experts)
            r.experts.push_back(
                {rows_of(e.w1, H, s.intermediate), rows_of(e.w3, H, s.intermediate), cols_of(e.w2, I, s.intermediate)});
        out.layers.push_back(std::move(r));
    }
    return out;
}

}  // namespace m1::tp
