#include "engine/cuda/cuda_backend.h"

#include "engine/cuda/cuda_attention.cuh"
#include "engine/cuda/cuda_decode.h"
#include "engine/cuda/cuda_decode_gemv.cuh"
#include "engine/cuda/cuda_gemm.h"
#include "engine/cuda/cuda_layer.h"
#include "engine/cuda/cuda_lightning.cuh"
#include "engine/cuda/cuda_ops.cuh"
#include "engine/cuda/cuda_random.cuh"
#include "engine/cuda/cuda_stage_clock.h"
#include "engine/cuda/cuda_tp_collective.h"
#include "engine/cuda/cuda_tp_ops.cuh"
#include "engine/model/forward.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <stdexcept>

namespace m1::cuda {

namespace tn = tensor_names;

struct cuda_backend::layer {
    layer_kind kind = layer_kind::lightning;
    device_buffer<float> input_norm, post_norm, out_norm;  // (H), (H), (D) lightning only
    device_buffer<bf16> proj;     // lightning: qkv (3D, H); softmax: [q; k; v] stacked (D + 2KV, H)
    device_buffer<bf16> gate;     // (D, H) lightning only
    device_buffer<bf16> out;      // (H, D) out_proj or o_proj
    device_buffer<float> router;  // (E, H)
    device_buffer<bf16> w13;      // (E, 2I, H)
    device_buffer<bf16> w2;       // (E, H, I)
    device_buffer<float> pw;      // (nh, block + 1) lightning decay table
};

struct cuda_backend::workspace {
    device_buffer<int32_t> ids;
    device_buffer<float> x, h, b, g, m, proj, o, gate, scratch, logits;
    device_buffer<float> ss;  // (n) tensor parallelism: sums of squares of the lightning output rows
    device_buffer<bf16> cvt;  // bf16 GEMM inputs (hi, lo)
    moe_workspace moe;
};

namespace {

// A checkpoint tensor as floats, only the rank's part of it read.
std::vector<float> read_part(const checkpoint& ck, const std::string& name, const tensor_part& part) {
    return view_part(ck.tensor(name), part);
}

void upload_f32(device_buffer<float>& dst, const checkpoint& ck, const std::string& name, const tensor_part& part) {
    dst.upload(read_part(ck, name, part));
}

// Uploads a tensor (or its part) as bf16 into dst at element offset (dst already reserved).
void upload_into(device_buffer<bf16>& dst, size_t offset, const checkpoint& ck, const std::string& name,
                 const tensor_part& part) {
    const std::vector<float> v = read_part(ck, name, part);
    upload_bf16(dst, v.data(), v.size(), offset);
}

}  // namespace

cuda_backend::cuda_backend(const checkpoint& ck, cuda_options options) : m_config(ck.config()), m_options(options) {
    bool head16 = false;
    for (const tensor_spec& t : ck.specs())
        if (t.name == (m_config.tie_word_embeddings ? tn::embed_tokens : tn::lm_head)) head16 = t.type == dtype::bf16;
    setup(ck.dir(), head16);
    ck.validate();  // every tensor present with the config's shape (after the plan: config-only dirs are refused by it)
    load([&](device_buffer<bf16>& dst, size_t offset, const std::string& name,
             const tensor_part& part) { upload_into(dst, offset, ck, name, part); },
         [&](device_buffer<float>& dst, const std::string& name, const tensor_part& part) {
             upload_f32(dst, ck, name, part);
         });
}

cuda_backend::cuda_backend(const model_config& c, uint64_t seed, cuda_options options)
    : m_config(c), m_options(options) {
    m_config.validate("random model");
    setup("random model (seed " + std::to_string(seed) + ")", true);  // random heads are bf16, as make-model's
    std::map<std::string, tensor_spec> specs;
    for (tensor_spec& t : expected_tensors(m_config)) specs.emplace(t.name, std::move(t));
    const auto spec = [&](const std::string& name) -> const tensor_spec& {
        auto it = specs.find(name);
        if (it == specs.end()) throw std::invalid_argument("random model: no tensor " + name);
        return it->second;
    };
    cudaStream_t s = m_stream->get();
    device_buffer<bf16> scratch16;  // whole tensors of which this rank keeps a part
    device_buffer<float> scratch32;
    load(
        [&](device_buffer<bf16>& dst, size_t offset, const std::string& name, const tensor_part& part) {
            random_part(spec(name), seed, part, dst.data() + offset, nullptr, scratch16, scratch32, s);
        },
        [&](device_buffer<float>& dst, const std::string& name, const tensor_part& part) {
            const tensor_spec& t = spec(name);
            const int64_t rows = t.shape.empty() ? 1 : t.shape[0];
            dst.reserve(size_t(part_count(rows, rows ? t.numel() / rows : 0, part)));
            random_part(t, seed, part, nullptr, dst.data(), scratch16, scratch32, s);
        });
    m_stream->sync();
}

void cuda_backend::setup(const std::string& origin, bool head16) {
    m_head16 = head16;
    if (const char* v = std::getenv("M1_LIGHTNING_BF16")) m_lightning_bf16 = std::string(v) != "0";
    const model_config& c = m_config;
    const int64_t block = std::max<int64_t>(1, c.lightning_block);
    if (m_options.context <= 0) m_options.context = std::min<int64_t>(c.max_position_embeddings, 131072);
    if (m_options.tp_size > 1 && !m_options.collective)
        throw std::invalid_argument(origin + ": tensor parallelism needs a collective (cuda_tp_backend.h)");
    m_tp = tp::make_tp_plan(c, m_options.tp_size);  // throws tp_error when the model does not split that way
    m_slice = m_tp.ranks.at(size_t(m_options.tp_rank));
    m_local = m_tp.rank_config(c);
    check(cudaSetDevice(m_options.device), "cudaSetDevice");
    size_t free_bytes = 0, total_bytes = 0;
    check(cudaMemGetInfo(&free_bytes, &total_bytes), "cudaMemGetInfo");
    const int kv_bytes = m_options.precision == cuda_precision::reference ? 4 : 2, head_bytes = head16 ? 2 : 4;
    if (m_options.max_chunk <= 0)
        m_options.max_chunk = m_options.tp_size > 1
                                  ? k_tp_chunk
                                  : choose_chunk(m_local, m_options.context, free_bytes, kv_bytes, 2, head_bytes);
    m_options.max_chunk = std::max<int64_t>(block, m_options.max_chunk / block * block);
    m_plan = plan_memory(m_local, m_options.context, m_options.max_chunk, kv_bytes, 2, head_bytes);
    check_plan_fits(m_plan, free_bytes, origin);
    m_stream = std::make_unique<cuda_stream>();
    m_blas = std::make_unique<cublas_handle>(m_stream->get());
    m_ws = std::make_unique<workspace>();
}

void cuda_backend::load(const put16_fn& put16, const put32_fn& put32) {
    const model_config& c = m_local;  // the rank's sizes; tensor names and slopes are the whole model's
    const int64_t block = std::max<int64_t>(1, c.lightning_block);
    const int64_t H = c.hidden_size, D = c.attn_dim(), KV = c.kv_dim(), E = c.num_experts, I = c.intermediate_size;
    const int64_t d = c.head_dim;
    const tp::rank_slice& r = m_slice;  // at tp_size 1 every range below is the whole dimension
    const tensor_part all{}, vocab{r.vocab, {}}, qkv_rows{r.qkv_rows(d), {}}, head_rows{r.attn_rows(d), {}};
    const tensor_part head_cols{{}, r.attn_rows(d)}, kv_rows{r.kv_rows(d), {}};
    const tensor_part inter_rows{r.intermediate, {}}, inter_cols{{}, r.intermediate};
    m_embed.reserve(size_t(c.vocab_size * H));
    put16(m_embed, 0, tn::embed_tokens, vocab);
    const char* head = c.tie_word_embeddings ? tn::embed_tokens : tn::lm_head;
    if (m_head16) {
        m_lm_head16.reserve(size_t(c.vocab_size * H));
        put16(m_lm_head16, 0, head, vocab);
    } else {
        put32(m_lm_head, head, vocab);
    }
    put32(m_final_norm, tn::final_norm, all);
    m_inv_freq.upload(rope_inv_freq(c));

    m_layers.resize(size_t(c.num_layers));
    for (int64_t l = 0; l < c.num_layers; ++l) {
        layer& w = m_layers[size_t(l)];
        w.kind = c.kind(l);
        put32(w.input_norm, tn::layer(l, "input_layernorm.weight"), all);
        put32(w.post_norm, tn::layer(l, "post_attention_layernorm.weight"), all);
        if (w.kind == layer_kind::lightning) {
            w.proj.reserve(size_t(3 * D * H));
            put16(w.proj, 0, tn::layer(l, "self_attn.qkv_proj.weight"), qkv_rows);  // whole heads: per-head interleave
            w.gate.reserve(size_t(D * H));
            put16(w.gate, 0, tn::layer(l, "self_attn.output_gate.weight"), head_rows);
            put32(w.out_norm, tn::layer(l, "self_attn.norm.weight"), head_rows);
            w.out.reserve(size_t(H * D));
            put16(w.out, 0, tn::layer(l, "self_attn.out_proj.weight"), head_cols);
            // The slopes of this rank's GLOBAL heads.
            const std::vector<float> slopes = lightning_slopes(m_config, l);
            w.pw.upload(lightning_decay_table(
                std::vector<float>(slopes.begin() + r.q_heads.begin, slopes.begin() + r.q_heads.end), block));
        } else {
            w.proj.reserve(size_t((D + 2 * KV) * H));
            put16(w.proj, 0, tn::layer(l, "self_attn.q_proj.weight"), head_rows);
            put16(w.proj, size_t(D * H), tn::layer(l, "self_attn.k_proj.weight"), kv_rows);
            put16(w.proj, size_t((D + KV) * H), tn::layer(l, "self_attn.v_proj.weight"), kv_rows);
            w.out.reserve(size_t(H * D));
            put16(w.out, 0, tn::layer(l, "self_attn.o_proj.weight"), head_cols);
        }
        put32(w.router, tn::layer(l, "block_sparse_moe.gate.weight"), all);
        w.w13.reserve(size_t(E * 2 * I * H));
        w.w2.reserve(size_t(E * H * I));
        for (int64_t e = 0; e < E; ++e) {
            put16(w.w13, size_t(e * 2 * I * H), tn::expert(l, e, "w1"), inter_rows);
            put16(w.w13, size_t(e * 2 * I * H + I * H), tn::expert(l, e, "w3"), inter_rows);
            put16(w.w2, size_t(e * H * I), tn::expert(l, e, "w2"), inter_cols);
        }
    }
}

cuda_backend::~cuda_backend() = default;

std::unique_ptr<backend_state> cuda_backend::new_state() const {
    const model_config& c = m_local;  // this rank's heads and kv heads
    check(cudaSetDevice(m_options.device), "cudaSetDevice");  // the caller's thread may have another GPU current
    auto s = std::make_unique<cuda_state>();
    s->owner = this;
    s->device = m_options.device;
    s->kv_width = c.kv_dim();
    s->kv_elem = m_options.precision == cuda_precision::reference ? 4 : 2;
    s->lightning.resize(size_t(c.num_layers));
    s->cache.resize(size_t(c.num_layers));
    const size_t floats = size_t(c.num_heads * c.head_dim * c.head_dim);
    for (int64_t l = 0; l < c.num_layers; ++l)
        if (c.kind(l) == layer_kind::lightning) {
            s->lightning[size_t(l)].reserve(floats);
            check(cudaMemset(s->lightning[size_t(l)].data(), 0, floats * sizeof(float)), "zero lightning state");
        }
    // The backend's stream does not wait for the legacy default stream: finish these copies before any use.
    check(cudaDeviceSynchronize(), "new state");
    return s;
}

std::unique_ptr<backend_state> cuda_state::clone() const {
    check(cudaSetDevice(device), "cudaSetDevice");
    auto s = std::make_unique<cuda_state>();
    s->owner = owner;
    s->device = device;
    s->pos = pos;
    s->kv_width = kv_width;
    s->kv_elem = kv_elem;
    s->lightning.resize(lightning.size());
    s->cache.resize(cache.size());
    for (size_t l = 0; l < lightning.size(); ++l)
        if (lightning[l].size()) {
            s->lightning[l].reserve(lightning[l].size());
            check(
                cudaMemcpy(s->lightning[l].data(), lightning[l].data(), lightning[l].bytes(), cudaMemcpyDeviceToDevice),
                "clone lightning state");
        }
    for (size_t l = 0; l < cache.size(); ++l)
        if (cache[l].capacity > 0) {
            const size_t elems = size_t(std::max<int64_t>(pos, 1) * kv_width * kv_elem);
            s->cache[l].k.reserve(elems);
            s->cache[l].v.reserve(elems);
            s->cache[l].capacity = std::max<int64_t>(pos, 1);
            check(cudaMemcpy(s->cache[l].k.data(), cache[l].k.data(), size_t(pos * kv_width * kv_elem),
                             cudaMemcpyDeviceToDevice),
                  "clone KV cache");
            check(cudaMemcpy(s->cache[l].v.data(), cache[l].v.data(), size_t(pos * kv_width * kv_elem),
                             cudaMemcpyDeviceToDevice),
                  "clone KV cache");
        }
    check(cudaDeviceSynchronize(), "clone state");
    return s;
}

size_t cuda_state::bytes() const {
    size_t n = 0;
    for (const auto& s : lightning) n += s.bytes();
    for (const auto& c : cache) n += c.k.bytes() + c.v.bytes();
    return n;
}

void cuda_backend::grow_cache(cuda_state& st, int64_t tokens) const {
    for (int64_t l = 0; l < m_config.num_layers; ++l) {
        if (m_config.kind(l) != layer_kind::softmax) continue;
        cuda_state::kv& c = st.cache[size_t(l)];
        if (c.capacity >= tokens) continue;
        // Doubling keeps appends amortised, but while the tokens fit in the planned context the cache stops there:
        // the plan reserved exactly that much (a state doubled from 1M to 2M tokens would need twice the KV cache
        // the plan counted, 17 GB more at W16).
        int64_t grown = std::max<int64_t>(2 * c.capacity, 1024);
        if (tokens <= m_options.context) grown = std::min(grown, m_options.context);
        const int64_t cap = std::max(tokens, grown);
        const size_t row = size_t(st.kv_width * st.kv_elem);
        device_buffer<char> k(size_t(cap) * row), v(size_t(cap) * row);
        if (st.pos > 0) {
            check(cudaMemcpy(k.data(), c.k.data(), size_t(st.pos) * row, cudaMemcpyDeviceToDevice), "grow KV cache");
            check(cudaMemcpy(v.data(), c.v.data(), size_t(st.pos) * row, cudaMemcpyDeviceToDevice), "grow KV cache");
        }
        c.k = std::move(k);
        c.v = std::move(v);
        c.capacity = cap;
    }
    check(cudaDeviceSynchronize(), "grow KV cache");
}

void cuda_backend::forward(backend_state& state_base, std::span<const int32_t> ids, logits_rows rows, float* logits) {
    auto* st = dynamic_cast<cuda_state*>(&state_base);
    if (!st || st->owner != this) throw std::invalid_argument("cuda backend: the state belongs to another backend");
    const int64_t n = int64_t(ids.size()), V = m_config.vocab_size;
    for (int32_t id : ids)
        if (id < 0 || id >= V)
            throw std::invalid_argument("cuda backend: token id " + std::to_string(id) +
                                        " is outside the vocabulary [0, " + std::to_string(V) + ")");
    if (n == 0) return;
    std::lock_guard<std::mutex> lock(m_mutex);
    check(cudaSetDevice(m_options.device), "cudaSetDevice");
    grow_cache(*st, st->pos + n);
    if (n <= k_decode_max_tokens && m_options.decode_kernels) return decode(*st, ids, rows, logits);
    for (int64_t done = 0; done < n;) {
        const int64_t m = std::min(m_options.max_chunk, n - done);
        const bool last = done + m == n;
        if (rows == logits_rows::all)
            forward_chunk(*st, ids.data() + done, m, true, 0, logits + done * m_local.vocab_size);
        else if (rows == logits_rows::last && last)
            forward_chunk(*st, ids.data() + done, m, true, m - 1, logits);
        else
            forward_chunk(*st, ids.data() + done, m, false, 0, nullptr);
        done += m;
    }
}

// The decode path (cuda_decode.h) over views of this backend's weights and the state's buffers; a TP rank's own
// sizes and slices, with the same all-reduces as forward_chunk (graphs only over a capturable collective: NCCL).
void cuda_backend::decode(cuda_state& st, std::span<const int32_t> ids, logits_rows rows, float* logits) {
    if (!m_decoder) {
        decode_model dm;
        dm.c = m_local;
        if (tensor_parallel()) {
            dm.tp.collective = m_options.collective;
            dm.tp.rank = m_options.tp_rank;
            dm.tp.vocab_begin = m_slice.vocab.begin;
            dm.tp.vocab_end = m_slice.vocab.end;
            dm.tp.attn_dim_total = m_config.attn_dim();
        }
        dm.embed = m_embed.data();
        if (m_head16)
            dm.lm_head = m_lm_head16.data();
        else
            dm.lm_head = m_lm_head.data();
        dm.lm_head_f32 = !m_head16;
        // Programmatic dependent launch of the GEMVs only on request (M1_DECODE_PDL=1, for comparisons; never next
        // to NCCL's kernels): measured slower with the L2 prefetch it first had (tests/bench/RESULTS.md).
        const char* pdl = std::getenv("M1_DECODE_PDL");
        dm.pdl = !tensor_parallel() && pdl && std::string(pdl) == "1";
        dm.final_norm = m_final_norm.data();
        dm.inv_freq = m_inv_freq.data();
        for (const layer& w : m_layers)
            dm.layers.push_back({w.kind, w.input_norm.data(), w.post_norm.data(), w.out_norm.data(), w.proj.data(),
                                 w.gate.data(), w.out.data(), w.router.data(), w.w13.data(), w.w2.data(), w.pw.data()});
        m_decoder = std::make_unique<cuda_decoder>(std::move(dm), m_stream->get());
    }
    decode_state ds;
    ds.pos = st.pos;
    ds.kv_f32 = st.kv_elem == 4;
    ds.capacity = 1;
    for (size_t l = 0; l < st.cache.size(); ++l) {
        ds.lightning.push_back(st.lightning[l].size() ? st.lightning[l].data() : nullptr);
        ds.k_cache.push_back(st.cache[l].capacity ? st.cache[l].k.data() : nullptr);
        ds.v_cache.push_back(st.cache[l].capacity ? st.cache[l].v.data() : nullptr);
        ds.capacity = std::max(ds.capacity, st.cache[l].capacity);
    }
    const int64_t n = int64_t(ids.size());
    if (n == 1 && rows != logits_rows::none && m_options.decode_graphs)
        m_decoder->step_graph(st.decode_slot, ds, ids[0], logits);
    else
        m_decoder->step(ds, ids.data(), n, rows == logits_rows::last ? n - 1 : 0,
                        rows == logits_rows::none ? nullptr : logits);
    st.pos += n;
}

void cuda_backend::forward_chunk(cuda_state& st, const int32_t* ids, int64_t n, bool want_logits, int64_t first_row,
                                 float* logits) {
    const model_config& c = m_local;  // the rank's sizes (the whole model's at tp_size 1)
    const int64_t H = c.hidden_size, D = c.attn_dim(), KV = c.kv_dim(), V = c.vocab_size;
    const int64_t nh = c.num_heads, d = c.head_dim, block = std::max<int64_t>(1, c.lightning_block);
    const int64_t proj_w = std::max(3 * D, D + 2 * KV);
    cudaStream_t s = m_stream->get();
    cublasHandle_t blas = m_blas->get();
    workspace& ws = *m_ws;
    const size_t nH = size_t(n * H), nD = size_t(n * D);
    ws.ids.reserve(size_t(n));
    const bool split = m_options.precision == cuda_precision::reference;
    for (auto* b : {&ws.x, &ws.h, &ws.b, &ws.g, &ws.m}) b->reserve(nH);
    ws.proj.reserve(size_t(n * proj_w));
    ws.o.reserve(nD);
    ws.gate.reserve(nD);
    ws.cvt.reserve(size_t(split ? 2 : 1) * std::max(nH, nD));
    bf16* cvt = ws.cvt.data();
    ws.scratch.reserve(size_t(lightning_scratch_floats(n, nh, d, block)));
    // `m1 bench --stages`: an event after each stage (cuda_stage_clock.h); ranks of a tensor-parallel run do not mark
    stage_clock* clock = tensor_parallel() ? nullptr : stage_clock::installed();
    const auto mark = [&](const char* stage) {
        if (clock) clock->mark(s, stage);
    };
    if (clock) clock->begin(s);

    check(cudaMemcpyAsync(ws.ids.data(), ids, size_t(n) * 4, cudaMemcpyHostToDevice, s), "upload ids");
    if (tensor_parallel())
        tp_embed(n);
    else
        check(launch_embed({ws.ids.data(), m_embed.data(), n, H, ws.x.data()}, s), "embedding kernel");
    mark("embedding");

    const auto moe_of = [&](int64_t l) {
        const layer& w = m_layers[size_t(l)];
        return moe_weights{w.router.data(), w.w13.data(),        w.w2.data(),        H,
                           c.num_experts,   c.experts_per_token, c.intermediate_size};
    };
    // The input norm of layer l > 0 with the previous layer's MoE combine folded in, where the norm kernel serves it
    // (one GPU, a prefill's rows): its expert rows are summed while the residual is, and m is never written.
    // Call it once layer l − 1's MoE ran (its expert rows have their buffers).
    const auto input_norm = [&](int64_t l) {
        rmsnorm_params in = input_norm_of(c, l, ws.x.data(), ws.g.data(), ws.m.data(),
                                          m_layers[size_t(l)].input_norm.data(), n, ws.h.data());
        if (!split) in.y_bf16 = cvt;  // fast precision: the projections' bf16 input, written by the norm itself
        if (l > 0 && !tensor_parallel()) {
            rmsnorm_params folded = in;
            folded.branch = nullptr;
            if (rmsnorm_combine_supported(folded, moe_pending_combine(ws.moe, moe_of(l - 1), n)))
                return std::make_pair(folded, true);
        }
        return std::make_pair(in, false);
    };
    std::pair<rmsnorm_params, bool> next_norm = input_norm(0);  // .second: it sums the previous layer's combine
    for (int64_t l = 0; l < c.num_layers; ++l) {
        const layer& w = m_layers[size_t(l)];
        const rmsnorm_params in = next_norm.first;
        if (next_norm.second)
            check(launch_rmsnorm_combine(in, moe_pending_combine(ws.moe, moe_of(l - 1), n), s),
                  "input RMSNorm kernel with the MoE combine");
        else
            check(launch_rmsnorm(in, s), "input RMSNorm kernel");
        mark("input RMSNorm");
        // x · Wᵀ of h: fast precision takes the bf16 h the norm wrote, reference precision splits h into hi + lo
        // (which leaves them in cvt for a second product of h)
        const auto product_h = [&](const bf16* wt, int64_t out, float* y) {
            if (split)
                linear_act(blas, s, ws.h.data(), n, H, wt, out, y, cvt, true);
            else
                linear_converted(blas, cvt, nullptr, n, H, wt, out, y);
        };
        bool o_in_cvt = false;  // the lightning output, gated, already in cvt as bf16 (fast precision)

        if (w.kind == layer_kind::lightning) {
            lightning_params lp = lightning_qkv_layout(n, nh, d, block, w.pw.data(), st.lightning[size_t(l)].data());
            bf16* proj16 = reinterpret_cast<bf16*>(ws.proj.data());  // probed below: the fused kernel's bf16 mode
            lp.q16 = proj16;
            lp.k16 = proj16 + d;
            lp.v16 = proj16 + 2 * d;
            lp.o = ws.o.data();
            lp.scratch = ws.scratch.data();
            // Fast precision: q, k, v leave the projection in bf16, SiLU runs on them in place (rounded to bf16
            // again), and the lightning kernel takes them as exact bf16 operands (one tensor-core product per pair,
            // 2.4x faster than applying SiLU on load, which needs hi + lo parts). Reference precision (and shapes
            // the fused kernel does not serve): fp32 projection, SiLU pass, fp32 inputs.
            if (!split && n > 1 && m_lightning_bf16 && lightning_fused_supported(lp)) {
                linear_bf16_out(blas, cvt, n, H, w.proj.data(), 3 * D, proj16);
                mark("lightning q/k/v product");
                check(launch_silu_bf16(proj16, n * 3 * D, s), "SiLU kernel (bf16)");
            } else {
                product_h(w.proj.data(), 3 * D, ws.proj.data());
                mark("lightning q/k/v product");
                check(launch_silu(ws.proj.data(), n * 3 * D, s), "SiLU kernel");
                lp.q16 = lp.k16 = lp.v16 = nullptr;
                lp.q = ws.proj.data();
                lp.k = ws.proj.data() + d;
                lp.v = ws.proj.data() + 2 * d;
            }
            mark("SiLU of q/k/v");
            check(n == 1 ? launch_lightning_decode(lp, s) : launch_lightning_prefill(lp, s), "lightning kernel");
            mark("lightning kernel");
            // Fast precision on one GPU runs the norm and the gate in one pass, after the gate product. That product
            // takes h from cvt, still there as bf16 (hi, then lo when split) from the q/k/v product.
            const bool fused_gate = !split && !tensor_parallel();
            rmsnorm_params on = lightning_out_norm_of(c, ws.o.data(), w.out_norm.data(), n);
            if (!fused_gate) {
                if (tensor_parallel())
                    tp_out_norm(w.out_norm.data(), n, D);
                else
                    check(launch_rmsnorm(on, s), "lightning output RMSNorm kernel");
                mark("lightning output RMSNorm");
            }
            linear_converted(blas, cvt, split ? cvt + n * H : nullptr, n, H, w.gate.data(), D, ws.gate.data());
            mark("output gate product");
            // fast precision: the gated output goes straight to bf16, the out_proj input (h in cvt is used up)
            if (fused_gate) {
                on.y = nullptr;
                on.y_bf16 = cvt;
                on.gate = ws.gate.data();
                check(launch_rmsnorm(on, s), "lightning output RMSNorm and gate kernel");
            } else if (split) {
                check(launch_gate(ws.o.data(), ws.gate.data(), ws.o.data(), n * D, s), "output gate kernel");
            } else {
                check(launch_gate_bf16(ws.o.data(), ws.gate.data(), cvt, n * D, s), "output gate kernel (bf16)");
            }
            o_in_cvt = !split;
            mark(fused_gate ? "lightning output RMSNorm and gate" : "output gate");
        } else {
            product_h(w.proj.data(), D + 2 * KV, ws.proj.data());
            mark("attention q/k/v product");
            cuda_state::kv& cache = st.cache[size_t(l)];
            const bool kv_f32 = st.kv_elem == 4;
            check(launch_rope_cache(rope_cache_of(c, ws.proj.data(), n, st.pos, m_inv_freq.data(), cache.k.data(),
                                                  cache.v.data(), kv_f32),
                                    s),
                  "RoPE kernel");
            mark("RoPE and KV cache append");
            check(launch_attention(
                      attention_of(c, ws.proj.data(), cache.k.data(), cache.v.data(), kv_f32, n, st.pos, ws.o.data()),
                      s),
                  "attention kernel");
            mark("attention kernel");
        }
        if (o_in_cvt)
            linear_converted(blas, cvt, nullptr, n, D, w.out.data(), H, ws.b.data());
        else
            linear_act(blas, s, ws.o.data(), n, D, w.out.data(), H, ws.b.data(), cvt, split);
        mark("output projection");
        all_reduce(ws.b.data(), n * H);  // row-parallel out_proj / o_proj: partial sums over the ranks' heads

        check(launch_rmsnorm(
                  post_attention_norm_of(c, l, ws.h.data(), ws.b.data(), w.post_norm.data(), n, ws.g.data()), s),
              "post-attention RMSNorm kernel");
        mark("post-attention RMSNorm");

        // the combine waits for the next input norm's choice, made once the expert rows have their buffers
        moe_forward(blas, s, moe_of(l), ws.g.data(), n, ws.m.data(), ws.moe, split, clock, false);
        const bool last = l + 1 == c.num_layers;
        if (!last) next_norm = input_norm(l + 1);
        if (last || !next_norm.second) moe_combine(s, moe_of(l), n, ws.m.data(), ws.moe, clock);
        all_reduce(ws.m.data(), n * H);  // w2 columns split: partial sums over the ranks' intermediate rows
    }
    st.pos += n;

    if (want_logits) {
        const int64_t count = n - first_row;
        check(launch_rmsnorm(final_norm_of(c, ws.g.data() + first_row * H, ws.m.data() + first_row * H,
                                           m_final_norm.data(), count, ws.h.data()),
                             s),
              "final RMSNorm kernel");
        mark("final RMSNorm");
        // k_head_rows rows at a time: a whole chunk's logits (32,768 × 200,064 fp32: 26 GB for M1) never sit on the GPU
        const int64_t head_rows = m_options.head_rows > 0 ? std::min(m_options.head_rows, k_head_rows) : k_head_rows;
        const int64_t block = std::min(count, head_rows);
        ws.logits.reserve(size_t(block * V));
        for (int64_t r = 0; r < count; r += block) {
            const int64_t rows = std::min(block, count - r);
            const float* hr = ws.h.data() + r * H;
            if (!m_head16) {
                linear_f32(blas, hr, rows, H, m_lm_head.data(), V, ws.logits.data());
            } else if (rows <= k_gemv_max_rows) {  // fp32 activations against the bf16 head, fp32 accumulation
                check(launch_gemv(gemv_one(m_lm_head16.data(), false, V, H, hr, rows, ws.logits.data()), s),
                      "LM head GEMV");
            } else {  // activations as bf16 hi + lo: ~16 significant bits against the exact bf16 weights
                ws.cvt.reserve(size_t(2 * rows * H));
                linear_act(blas, s, hr, rows, H, m_lm_head16.data(), V, ws.logits.data(), ws.cvt.data(), true);
            }
            check(cudaMemcpyAsync(logits + r * V, ws.logits.data(), size_t(rows * V) * 4, cudaMemcpyDeviceToHost, s),
                  "download logits");
        }
        mark("LM head and logits download");
    }
    m_stream->sync();
}

void cuda_backend::all_reduce(float* x, int64_t count) {
    if (tensor_parallel()) m_options.collective->all_reduce_sum(m_options.tp_rank, x, count, m_stream->get());
}

void cuda_backend::tp_embed(int64_t n) {
    workspace& ws = *m_ws;
    const int64_t H = m_local.hidden_size;
    check(launch_embed_part(ws.ids.data(), m_embed.data(), n, H, m_slice.vocab.begin, m_slice.vocab.end,
                            ws.x.data(), m_stream->get()),
          "vocabulary-parallel embedding kernel");
    all_reduce(ws.x.data(), n * H);
}

// The RMSNorm of the lightning output spans all nh·d dims: each rank sums the squares of its (n, dim) slice, the
// sums are all-reduced, and each rank normalises its slice with the mean over the whole row (the divisor is the
// whole model's attn_dim).
void cuda_backend::tp_out_norm(const float* w, int64_t n, int64_t dim) {
    workspace& ws = *m_ws;
    cudaStream_t s = m_stream->get();
    ws.ss.reserve(size_t(n));
    check(launch_sum_squares(ws.o.data(), n, dim, ws.ss.data(), s), "lightning output sum-of-squares kernel");
    all_reduce(ws.ss.data(), n);
    check(launch_apply_norm(ws.o.data(), ws.ss.data(), w, n, dim, m_config.attn_dim(),
                            float(m_config.lightning_norm_eps), ws.o.data(), s),
          "lightning output norm kernel");
}

}  // namespace m1::cuda
