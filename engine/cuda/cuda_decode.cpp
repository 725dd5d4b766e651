#include "engine/cuda/cuda_decode.h"

#include "engine/cuda/cuda_attention.cuh"
#include "engine/cuda/cuda_decode_gemv.cuh"
#include "engine/cuda/cuda_layer.h"
#include "engine/cuda/cuda_lightning.cuh"
#include "engine/cuda/cuda_ops.cuh"
#include "engine/cuda/cuda_tp_collective.h"
#include "engine/cuda/cuda_tp_ops.cuh"

#include <algorithm>
#include <cstring>

namespace m1::cuda {

namespace {

// y (n, N) = x (n, K) · w (N, K)ᵀ, one problem, with an optional epilogue (aux: the gate's other factor, (n, N)).
void gemv(cudaStream_t s, const void* w, bool w_f32, int64_t N, int64_t K, const float* x, int64_t n, float* y,
          bool pdl, const char* what, gemv_epilogue ep = gemv_epilogue::none, const float* aux = nullptr) {
    gemv_params p = gemv_one(w, w_f32, N, K, x, n, y);
    p.epilogue = ep;
    p.aux = aux;
    p.ldaux = N;
    p.pdl = pdl;
    check(launch_gemv(p, s), what);
}

}  // namespace

// One state's captured step: the graph, the buffers it was captured against, and its pinned I/O.
struct cuda_decoder::graph {
    const cuda_decoder* owner = nullptr;
    cudaGraphExec_t exec = nullptr;
    std::vector<const void*> key;  // the state's buffers and capacity at capture
    int64_t* host_io = nullptr;    // pinned: [0] token id (low 32 bits read as int32), [1] position
    float* host_logits = nullptr;  // pinned (V)
    device_buffer<int64_t> dev_io;
    device_buffer<float> part;  // attention partials for the capacity
    ~graph() {
        if (exec) cudaGraphExecDestroy(exec);
        if (host_io) cudaFreeHost(host_io);
        if (host_logits) cudaFreeHost(host_logits);
    }
};

cuda_decoder::cuda_decoder(decode_model m, cudaStream_t s) : m_m(std::move(m)), m_s(s) {
    const model_config& c = m_m.c;
    const int64_t n = k_decode_max_tokens, H = c.hidden_size, D = c.attn_dim(), KV = c.kv_dim();
    m_proj_w = std::max(3 * D, D + 2 * KV);
    m_ids.reserve(size_t(n));
    for (auto* b : {&m_x, &m_h, &m_b, &m_g, &m_m_out}) b->reserve(size_t(n * H));
    m_proj.reserve(size_t(n * m_proj_w));
    m_o.reserve(size_t(n * D));
    m_scratch.reserve(size_t(std::max<int64_t>(
        1, lightning_scratch_floats(n, c.num_heads, c.head_dim, std::max<int64_t>(1, c.lightning_block)))));
    m_logits.reserve(size_t(n * c.vocab_size));
    m_ss.reserve(size_t(n));
    moe_decode_reserve({nullptr, nullptr, nullptr, H, c.num_experts, c.experts_per_token, c.intermediate_size}, n,
                       m_moe);
}

cuda_decoder::~cuda_decoder() = default;

void cuda_decoder::all_reduce(float* x, int64_t count) {
    if (m_m.tp.collective) m_m.tp.collective->all_reduce_sum(m_m.tp.rank, x, count, m_s);
}

void cuda_decoder::enqueue(const decode_state& st, const int32_t* d_ids, const int64_t* pos_dev, int64_t n,
                           int64_t first_row, float* part, float* d_logits) {
    const model_config& c = m_m.c;
    const int64_t H = c.hidden_size, D = c.attn_dim(), KV = c.kv_dim(), V = c.vocab_size;
    const int64_t nh = c.num_heads, d = c.head_dim, block = std::max<int64_t>(1, c.lightning_block);
    cudaStream_t s = m_s;
    const bool pdl = m_m.pdl;
    if (m_m.tp.collective) {  // vocabulary-parallel rows: zeros for ids another rank holds, summed over the ranks
        check(launch_embed_part(d_ids, m_m.embed, n, H, m_m.tp.vocab_begin, m_m.tp.vocab_end, m_x.data(), s),
              "vocabulary-parallel embedding kernel");
        all_reduce(m_x.data(), n * H);
    } else {
        check(launch_embed({d_ids, m_m.embed, n, H, m_x.data()}, s), "embedding kernel");
    }
    for (size_t l = 0; l < m_m.layers.size(); ++l) {
        const decode_layer& w = m_m.layers[l];
        check(launch_rmsnorm(input_norm_of(c, int64_t(l), m_x.data(), m_g.data(), m_m_out.data(), w.input_norm, n,
                                           m_h.data()),
                             s),
              "input RMSNorm kernel");

        if (w.kind == layer_kind::lightning) {
            gemv(s, w.proj, false, 3 * D, H, m_h.data(), n, m_proj.data(), pdl, "qkv GEMV (SiLU epilogue)",
                 gemv_epilogue::silu);
            lightning_params lp = lightning_qkv_layout(n, nh, d, block, w.pw, st.lightning[l]);
            lp.q = m_proj.data();
            lp.k = m_proj.data() + d;
            lp.v = m_proj.data() + 2 * d;
            lp.o = m_o.data();
            lp.scratch = m_scratch.data();
            check(n == 1 ? launch_lightning_decode(lp, s) : launch_lightning_prefill(lp, s), "lightning kernel");
            if (m_m.tp.collective) {  // the norm's row spans every rank's heads: its sum of squares is all-reduced
                check(launch_sum_squares(m_o.data(), n, D, m_ss.data(), s), "lightning output sum-of-squares kernel");
                all_reduce(m_ss.data(), n);
                check(launch_apply_norm(m_o.data(), m_ss.data(), w.out_norm, n, D, m_m.tp.attn_dim_total,
                                        float(c.lightning_norm_eps), m_o.data(), s),
                      "lightning output norm kernel");
            } else {
                check(launch_rmsnorm(lightning_out_norm_of(c, m_o.data(), w.out_norm, n), s),
                      "lightning output RMSNorm kernel");
            }
            // o = o · sigmoid(h · gateᵀ), in the product's epilogue
            gemv(s, w.gate, false, D, H, m_h.data(), n, m_o.data(), pdl, "output gate GEMV", gemv_epilogue::gate,
                 m_o.data());
        } else {
            gemv(s, w.proj, false, D + 2 * KV, H, m_h.data(), n, m_proj.data(), pdl, "qkv GEMV");
            rope_cache_params rp = rope_cache_of(c, m_proj.data(), n, st.pos, m_m.inv_freq, st.k_cache[l],
                                                 st.v_cache[l], st.kv_f32);
            rp.pos_dev = pos_dev;
            check(launch_rope_cache(rp, s), "RoPE kernel");
            attention_decode_params ap{};
            ap.a = attention_of(c, m_proj.data(), st.k_cache[l], st.v_cache[l], st.kv_f32, n, st.pos, m_o.data());
            ap.pos_dev = pos_dev;
            ap.max_keys = st.capacity;
            ap.part = part;
            check(launch_attention_decode(ap, s), "flash-decoding kernels");
        }
        gemv(s, w.out, false, H, D, m_o.data(), n, m_b.data(), pdl, "out projection GEMV");
        all_reduce(m_b.data(), n * H);  // row-parallel out_proj / o_proj: partial sums over the ranks' heads

        check(launch_rmsnorm(post_attention_norm_of(c, int64_t(l), m_h.data(), m_b.data(), w.post_norm, n, m_g.data()),
                             s),
              "post-attention RMSNorm kernel");

        const moe_weights mw{w.router, w.w13, w.w2, H, c.num_experts, c.experts_per_token, c.intermediate_size};
        moe_decode(s, mw, m_g.data(), n, m_m_out.data(), m_moe, pdl);
        all_reduce(m_m_out.data(), n * H);  // w2 columns split: partial sums over the ranks' intermediate rows
    }
    if (!d_logits) return;
    const int64_t count = n - first_row;
    check(launch_rmsnorm(
              final_norm_of(c, m_g.data() + first_row * H, m_m_out.data() + first_row * H, m_m.final_norm, count,
                            m_h.data()),
              s),
          "final RMSNorm kernel");
    gemv(s, m_m.lm_head, m_m.lm_head_f32, V, H, m_h.data(), count, d_logits, pdl, "LM head GEMV");
}

void cuda_decoder::step(const decode_state& st, const int32_t* ids, int64_t n, int64_t first_row, float* logits) {
    if (n < 1 || n > k_decode_max_tokens) throw cuda_error("decode step: 1 to 8 tokens");
    m_part.reserve(attention_decode_scratch_floats(n, m_m.c.num_heads, m_m.c.head_dim, std::max<int64_t>(1, st.pos + n)));
    check(cudaMemcpyAsync(m_ids.data(), ids, size_t(n) * 4, cudaMemcpyHostToDevice, m_s), "upload ids");
    decode_state live = st;
    live.capacity = st.pos + n;  // no graph: the grid covers exactly the live keys
    enqueue(live, m_ids.data(), nullptr, n, first_row, m_part.data(), logits ? m_logits.data() : nullptr);
    if (logits)
        check(cudaMemcpyAsync(logits, m_logits.data(), size_t((n - first_row) * m_m.c.vocab_size) * 4,
                              cudaMemcpyDeviceToHost, m_s),
              "download logits");
    check(cudaStreamSynchronize(m_s), "decode step");
}

void cuda_decoder::step_graph(std::shared_ptr<void>& slot, const decode_state& st, int32_t id, float* logits) {
    tp_collective* coll = m_m.tp.collective;
    // Emulated ranks: the all-reduce's host rendezvous cannot be captured, so no graph. NCCL: the first step of
    // this decoder runs plain, so that NCCL's lazily made connections and buffers are set up outside any capture.
    if (coll && (!coll->graph_capturable() || m_tp_warm_epoch != coll->epoch())) {
        m_tp_warm_epoch = coll->epoch();
        step(st, &id, 1, 0, logits);
        return;
    }
    std::vector<const void*> key;
    for (float* p : st.lightning) key.push_back(p);
    for (void* p : st.k_cache) key.push_back(p);
    for (void* p : st.v_cache) key.push_back(p);
    key.push_back(reinterpret_cast<const void*>(st.capacity));
    key.push_back(reinterpret_cast<const void*>(intptr_t(st.kv_f32)));
    if (coll) key.push_back(reinterpret_cast<const void*>(uintptr_t(coll->epoch())));  // the communicators captured
    auto* g = static_cast<graph*>(slot.get());
    if (!g || g->owner != this || g->key != key) {
        auto fresh = std::make_shared<graph>();
        g = fresh.get();
        g->owner = this;
        g->key = key;
        check(cudaMallocHost(reinterpret_cast<void**>(&g->host_io), 2 * sizeof(int64_t)), "cudaMallocHost");
        check(cudaMallocHost(reinterpret_cast<void**>(&g->host_logits), size_t(m_m.c.vocab_size) * 4),
              "cudaMallocHost");
        g->dev_io.reserve(2);
        g->part.reserve(attention_decode_scratch_floats(1, m_m.c.num_heads, m_m.c.head_dim, st.capacity));
        // Capture: H2D copy of (id, position), the step, D2H copy of the logits into pinned memory. Capture fails
        // when the stream is already capturing (a caller's graph) or a launch is refused; then the plain path runs.
        cudaGraph_t captured = nullptr;
        bool ok = cudaStreamBeginCapture(m_s, cudaStreamCaptureModeThreadLocal) == cudaSuccess;
        if (ok) {
            try {
                check(cudaMemcpyAsync(g->dev_io.data(), g->host_io, 2 * sizeof(int64_t), cudaMemcpyHostToDevice, m_s),
                      "upload id and position");
                enqueue(st, reinterpret_cast<const int32_t*>(g->dev_io.data()), g->dev_io.data() + 1, 1, 0,
                        g->part.data(), m_logits.data());
                check(cudaMemcpyAsync(g->host_logits, m_logits.data(), size_t(m_m.c.vocab_size) * 4,
                                      cudaMemcpyDeviceToHost, m_s),
                      "download logits");
            } catch (const cuda_error&) {
                ok = false;
            }
            ok = cudaStreamEndCapture(m_s, &captured) == cudaSuccess && ok;
        }
        if (ok) ok = cudaGraphInstantiate(&g->exec, captured, 0) == cudaSuccess;
        if (captured) cudaGraphDestroy(captured);
        cudaGetLastError();
        // NCCL: a captured collective must be captured, and its graph launched, on every rank — all or none.
        if (coll) ok = coll->all_agree(m_m.tp.rank, ok);
        if (!ok) {
            step(st, &id, 1, 0, logits);
            return;
        }
        slot = std::move(fresh);
    }
    g->host_io[0] = id;  // little-endian: the low 32 bits, which the embedding reads as int32, hold the id
    g->host_io[1] = st.pos;
    check(cudaGraphLaunch(g->exec, m_s), "decode graph launch");
    check(cudaStreamSynchronize(m_s), "decode step");
    if (logits) std::memcpy(logits, g->host_logits, size_t(m_m.c.vocab_size) * 4);
}

}  // namespace m1::cuda
