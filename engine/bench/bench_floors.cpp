#include "engine/bench/bench_floors.h"

#include <algorithm>

namespace m1::bench {

namespace {

// Parameters of one layer's attention projections.
double attention_params(const model_config& c, layer_kind kind) {
    const double H = double(c.hidden_size), D = double(c.attn_dim()), KV = double(c.kv_dim());
    return kind == layer_kind::lightning ? 3 * D * H + D * H + H * D    // qkv_proj, output_gate, out_proj
                                         : D * H + 2 * KV * H + H * D;  // q_proj, k_proj + v_proj, o_proj
}

double expert_params(const model_config& c) {
    return 3.0 * double(c.hidden_size) * double(c.intermediate_size);  // w1, w3 (I×H), w2 (H×I)
}

// Σ over queries at positions pos0 .. pos0+n−1 of the keys each sees (position + 1).
double causal_pairs(int64_t n, int64_t pos0) {
    const double dn = double(n);
    return dn * double(pos0) + dn * (dn + 1) / 2;
}

}  // namespace

decode_bytes decode_bytes_per_token(const model_config& c, int64_t context, const floor_layout& L) {
    decode_bytes b;
    const double H = double(c.hidden_size), nh = double(c.num_heads), d = double(c.head_dim);
    for (int64_t l = 0; l < c.num_layers; ++l) {
        const layer_kind kind = c.kind(l);
        b.attention += attention_params(c, kind) * L.weight_bytes;
        b.experts += double(c.experts_per_token) * expert_params(c) * L.weight_bytes;
        b.router += double(c.num_experts) * H * L.router_bytes;
        b.other += 2 * H * 4;  // input and post-attention norm weights (fp32)
        if (kind == layer_kind::lightning) {
            b.lightning_state += 2 * nh * d * d * L.state_bytes;  // read and written
            b.other += double(c.attn_dim()) * 4;                  // output norm weight
        } else {
            b.kv_cache += double(context) * 2 * double(c.kv_dim()) * L.kv_bytes;
        }
    }
    b.lm_head = double(c.vocab_size) * H * L.lm_head_bytes;
    b.other += H * 4 + H * L.weight_bytes;  // final norm, one embedding row
    return b;
}

prefill_flops prefill_flops_for(const model_config& c, int64_t tokens, int64_t pos0) {
    prefill_flops f;
    const double n = double(tokens), H = double(c.hidden_size);
    for (int64_t l = 0; l < c.num_layers; ++l) {
        const layer_kind kind = c.kind(l);
        f.dense += 2 * n * attention_params(c, kind);
        f.experts += 2 * n * double(c.experts_per_token) * expert_params(c);
        f.router += 2 * n * double(c.num_experts) * H;
        if (kind == layer_kind::softmax)
            f.attention += causal_attention_flops(tokens, pos0, c.num_heads, c.head_dim);
        else
            f.lightning += lightning_prefill_flops(tokens, c.num_heads, c.head_dim, c.lightning_block);
    }
    f.lm_head = tokens > 0 ? 2 * double(c.vocab_size) * H : 0;
    return f;
}

double prefill_min_bytes(const model_config& c, int64_t tokens, const floor_layout& L) {
    const decode_bytes once = decode_bytes_per_token(c, 0, L);
    const double weights = once.attention +
                           double(c.num_experts) / double(std::max<int64_t>(1, c.experts_per_token)) * once.experts +
                           once.router + once.lm_head + once.other;
    const double kv_written =
        double(c.count_layers(layer_kind::softmax)) * double(tokens) * 2 * double(c.kv_dim()) * L.kv_bytes;
    return weights + kv_written + once.lightning_state;
}

double decode_floor_s(const model_config& c, int64_t context, double copy_bytes_per_s, const floor_layout& L) {
    return decode_bytes_per_token(c, context, L).total() / copy_bytes_per_s;
}

double prefill_floor_s(const model_config& c, int64_t tokens, double copy_bytes_per_s, double gemm_flops_per_s,
                       const floor_layout& L) {
    return std::max(prefill_flops_for(c, tokens).total() / gemm_flops_per_s,
                    prefill_min_bytes(c, tokens, L) / copy_bytes_per_s);
}

double causal_attention_flops(int64_t n, int64_t pos0, int64_t nh, int64_t d) {
    return 4.0 * double(d) * double(nh) * causal_pairs(n, pos0);
}

double lightning_prefill_flops(int64_t n, int64_t nh, int64_t d, int64_t block) {
    const int64_t B = std::max<int64_t>(1, block);
    const int64_t full = n / B, rest = n % B;
    const double dd = double(d);
    // Intra-block QKᵀ and PV over the causal half of each block: 2·d FLOPs each per (query, key) pair.
    const double pairs = double(full) * double(B) * double(B + 1) / 2 + double(rest) * double(rest + 1) / 2;
    const double intra = 4 * dd * pairs;
    const double inter_and_update = 4 * dd * dd * double(n);  // q·S_prev and kᵀv, 2·d² each per token
    return double(nh) * (intra + inter_and_update);
}

double lightning_prefill_min_bytes(int64_t n, int64_t nh, int64_t d, int io_bytes) {
    const double width = double(nh) * double(d);
    return 4 * double(n) * width * io_bytes + 2 * double(nh) * double(d) * double(d) * 4;
}

double expert_flops(int64_t tokens, int64_t k, int64_t hidden, int64_t intermediate) {
    return 2.0 * double(tokens) * double(k) * 3 * double(hidden) * double(intermediate);
}

}  // namespace m1::bench
