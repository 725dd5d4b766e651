#include "engine/cpu/cpu_weights.h"

#include <cstdio>
#include <unistd.h>

namespace m1::cpu {

namespace {

std::vector<float> load(const checkpoint& ck, const std::string& name) {
    return to_float(ck.tensor(name));
}

size_t floats(const std::vector<float>& v) {
    return v.size();
}

}  // namespace

size_t model_weights::bytes() const {
    size_t n = floats(embed) + floats(final_norm) + floats(lm_head);
    for (const layer_weights& l : layers) {
        n += floats(l.input_norm) + floats(l.post_norm) + floats(l.qkv) + floats(l.output_gate) + floats(l.out_norm) +
             floats(l.out_proj) + floats(l.q_proj) + floats(l.k_proj) + floats(l.v_proj) + floats(l.o_proj) +
             floats(l.router);
        for (const expert_weights& e : l.experts) n += floats(e.w1) + floats(e.w2) + floats(e.w3);
    }
    return n * sizeof(float);
}

size_t cpu_weight_bytes(const model_config& c) {
    size_t n = 0;
    for (const tensor_spec& t : expected_tensors(c)) n += static_cast<size_t>(t.numel());
    if (c.tie_word_embeddings) n += static_cast<size_t>(c.vocab_size * c.hidden_size);
    return n * sizeof(float);
}

void check_cpu_weights_fit(const model_config& c, const std::string& origin, size_t memory_bytes) {
    if (memory_bytes == 0) {
        const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
        if (pages <= 0 || page <= 0) return;  // unknown: let the allocation decide
        memory_bytes = size_t(pages) * size_t(page);
    }
    const size_t need = cpu_weight_bytes(c);
    if (need <= memory_bytes) return;
    char text[160];
    std::snprintf(text, sizeof text,
                  ": the CPU backend needs %.1f GB for its fp32 weights, more than the %.1f GB of memory", need / 1e9,
                  memory_bytes / 1e9);
    throw checkpoint_error(origin + text);
}

model_weights load_cpu_weights(const checkpoint& ck) {
    check_cpu_weights_fit(ck.config(), ck.dir());
    ck.validate();  // every tensor present with the config's shape; nothing unexpected
    const model_config& c = ck.config();
    namespace tn = tensor_names;
    model_weights w;
    w.embed = load(ck, tn::embed_tokens);
    w.final_norm = load(ck, tn::final_norm);
    w.lm_head = c.tie_word_embeddings ? w.embed : load(ck, tn::lm_head);
    w.layers.resize(static_cast<size_t>(c.num_layers));
    for (int64_t l = 0; l < c.num_layers; ++l) {
        layer_weights& lw = w.layers[static_cast<size_t>(l)];
        lw.kind = c.kind(l);
        lw.input_norm = load(ck, tn::layer(l, "input_layernorm.weight"));
        lw.post_norm = load(ck, tn::layer(l, "post_attention_layernorm.weight"));
        if (lw.kind == layer_kind::lightning) {
            lw.qkv = load(ck, tn::layer(l, "self_attn.qkv_proj.weight"));
            lw.output_gate = load(ck, tn::layer(l, "self_attn.output_gate.weight"));
            lw.out_norm = load(ck, tn::layer(l, "self_attn.norm.weight"));
            lw.out_proj = load(ck, tn::layer(l, "self_attn.out_proj.weight"));
        } else {
            lw.q_proj = load(ck, tn::layer(l, "self_attn.q_proj.weight"));
            lw.k_proj = load(ck, tn::layer(l, "self_attn.k_proj.weight"));
            lw.v_proj = load(ck, tn::layer(l, "self_attn.v_proj.weight"));
            lw.o_proj = load(ck, tn::layer(l, "self_attn.o_proj.weight"));
        }
        lw.router = load(ck, tn::layer(l, "block_sparse_moe.gate.weight"));
        lw.experts.resize(static_cast<size_t>(c.num_experts));
        for (int64_t e = 0; e < c.num_experts; ++e) {
            expert_weights& ew = lw.experts[static_cast<size_t>(e)];
            ew.w1 = load(ck, tn::expert(l, e, "w1"));
            ew.w3 = load(ck, tn::expert(l, e, "w3"));
            ew.w2 = load(ck, tn::expert(l, e, "w2"));
        }
    }
    return w;
}

}  // namespace m1::cpu
