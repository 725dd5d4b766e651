// The tensor-parallel split plan (engine/tp/tp_plan.h), the weight slices it cuts and the emulated collectives.
// Expected ranges are worked out by hand from spec minimax-m1.md §5 (contiguous whole heads, KV split or replicated,
// intermediate and vocabulary rows split evenly), not taken from the code under test.
#include "engine/model/model_presets.h"
#include "engine/tp/tp_collectives.h"
#include "engine/tp/tp_plan.h"
#include "engine/tp/tp_weights.h"

#include <QtTest>

namespace {

using m1::tp::index_range;

// 8 heads × 16, 2 kv heads, 32 intermediate rows, 256 vocabulary rows (the shape of the emulation tests' model).
m1::model_config small_config() {
    m1::model_config c = m1::preset_config("tiny", 256);
    c.vocab_size = 256;
    c.num_heads = 8;
    c.head_dim = 16;
    c.num_kv_heads = 2;
    c.intermediate_size = 32;
    return c;
}

QString refusal(const m1::model_config& c, int tp) {
    try {
        m1::tp::make_tp_plan(c, tp);
    } catch (const m1::tp::tp_error& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

}  // namespace

class TestTpPlan : public QObject {
    Q_OBJECT
private slots:
    void tp2SplitsHeadsAndKvHeads() {
        const auto p = m1::tp::make_tp_plan(small_config(), 2);
        QCOMPARE(p.size, 2);
        QCOMPARE(int(p.ranks.size()), 2);
        QCOMPARE(p.heads_per_rank, int64_t(4));
        QVERIFY(!p.kv_replicated);
        QCOMPARE(p.kv_heads_per_rank, int64_t(1));
        const auto& r1 = p.ranks[1];
        QCOMPARE(r1.q_heads, (index_range{4, 8}));
        QCOMPARE(r1.kv_heads, (index_range{1, 2}));
        QCOMPARE(r1.qkv_rows(16), (index_range{192, 384}));  // 3·16 rows per head
        QCOMPARE(r1.attn_rows(16), (index_range{64, 128}));
        QCOMPARE(r1.kv_rows(16), (index_range{16, 32}));
        QCOMPARE(r1.intermediate, (index_range{16, 32}));
        QCOMPARE(r1.vocab, (index_range{128, 256}));
        QCOMPARE(p.ranks[0].kv_heads, (index_range{0, 1}));
    }

    void tp4And8ReplicateKvHeads() {
        const auto p4 = m1::tp::make_tp_plan(small_config(), 4);
        QVERIFY(p4.kv_replicated);
        QCOMPARE(p4.kv_heads_per_rank, int64_t(1));
        // group of 4 query heads per kv head: ranks 0, 1 (heads 0-3) read kv head 0; ranks 2, 3 kv head 1
        const int64_t kv4[] = {0, 0, 1, 1};
        for (int r = 0; r < 4; ++r) {
            QCOMPARE(p4.ranks[size_t(r)].q_heads, (index_range{2 * r, 2 * r + 2}));
            QCOMPARE(p4.ranks[size_t(r)].kv_heads, (index_range{kv4[r], kv4[r] + 1}));
            QCOMPARE(p4.ranks[size_t(r)].intermediate, (index_range{8 * r, 8 * r + 8}));
        }
        const auto p8 = m1::tp::make_tp_plan(small_config(), 8);
        QCOMPARE(p8.heads_per_rank, int64_t(1));
        QCOMPARE(p8.ranks[3].kv_heads, (index_range{0, 1}));
        QCOMPARE(p8.ranks[4].kv_heads, (index_range{1, 2}));
        QCOMPARE(p8.ranks[7].vocab, (index_range{224, 256}));
        QCOMPARE(p8.intermediate_per_rank, int64_t(4));
    }

    void fullM1WidthsOnEightAndSixteenRanks() {
        const m1::model_config c = m1::preset_config("w16", 0);  // 64 heads × 128, kv 8, 9216, vocab 200064
        const auto p8 = m1::tp::make_tp_plan(c, 8);
        QCOMPARE(p8.heads_per_rank, int64_t(8));
        QVERIFY(!p8.kv_replicated);
        QCOMPARE(p8.kv_heads_per_rank, int64_t(1));
        QCOMPARE(p8.intermediate_per_rank, int64_t(1152));
        QCOMPARE(p8.vocab_per_rank, int64_t(25008));
        QCOMPARE(p8.ranks[5].qkv_rows(128), (index_range{40 * 384, 48 * 384}));
        const auto p16 = m1::tp::make_tp_plan(c, 16);
        QVERIFY(p16.kv_replicated);
        QCOMPARE(p16.ranks[15].kv_heads, (index_range{7, 8}));
        const m1::model_config rc = p8.rank_config(c);
        QCOMPARE(rc.num_heads, int64_t(8));
        QCOMPARE(rc.num_kv_heads, int64_t(1));
        QCOMPARE(rc.intermediate_size, int64_t(1152));
        QCOMPARE(rc.vocab_size, int64_t(25008));
        QCOMPARE(rc.hidden_size, c.hidden_size);
    }

    void refusesSplitsThatDoNotDivide() {
        const m1::model_config c = small_config();
        QVERIFY(refusal(c, 2).isEmpty());
        QVERIFY(refusal(c, 1).isEmpty());
        const QString three = refusal(c, 3);
        QVERIFY2(three.contains("TP 3") && three.contains("8 attention heads"), qPrintable(three));
        QVERIFY(refusal(c, 0).contains("at least 1"));
        QVERIFY(refusal(c, 16).contains("TP 16 does not divide the 8 attention heads"));
        m1::model_config six = c;  // 6 heads, as the golden block256_heads6
        six.num_heads = 6;
        six.intermediate_size = 48;
        QVERIFY(refusal(six, 2).isEmpty());
        QVERIFY(refusal(six, 4).contains("6 attention heads"));
        m1::model_config gqa = c;  // 12 heads, 4 kv heads: TP 6 is more than 4 kv heads but no multiple of them
        gqa.num_heads = 12;
        gqa.num_kv_heads = 4;
        gqa.intermediate_size = 36;
        gqa.vocab_size = 264;
        QVERIFY2(refusal(gqa, 6).contains("kv heads"), qPrintable(refusal(gqa, 6)));
        m1::model_config inter = c;
        inter.intermediate_size = 30;
        QVERIFY(refusal(inter, 4).contains("30 expert intermediate rows"));
        m1::model_config vocab = c;
        vocab.vocab_size = 300;
        QVERIFY(refusal(vocab, 8).contains("300 vocabulary rows"));
    }

    // Weights whose values are their own flat indices, so every slice can be checked element by element.
    void slicesRowsAndColumns() {
        m1::model_config c = small_config();
        c.num_layers = 2;
        c.layers = {m1::layer_kind::lightning, m1::layer_kind::softmax};
        c.num_experts = 1;
        const int64_t H = c.hidden_size, D = 128, KV = 32, I = 32, V = 256;
        auto iota = [](int64_t n) {
            std::vector<float> v(static_cast<size_t>(n));
            for (int64_t i = 0; i < n; ++i) v[size_t(i)] = float(i);
            return v;
        };
        m1::cpu::model_weights w;
        w.embed = iota(V * H);
        w.lm_head = iota(V * H);
        w.final_norm = iota(H);
        w.layers.resize(2);
        for (auto& l : w.layers) {
            l.input_norm = l.post_norm = iota(H);
            l.router = iota(c.num_experts * H);
            l.experts = {{iota(I * H), iota(I * H), iota(H * I)}};
        }
        w.layers[0].qkv = iota(3 * D * H);
        w.layers[0].output_gate = iota(D * H);
        w.layers[0].out_norm = iota(D);
        w.layers[0].out_proj = iota(H * D);
        w.layers[1].kind = m1::layer_kind::softmax;
        w.layers[1].q_proj = iota(D * H);
        w.layers[1].k_proj = iota(KV * H);
        w.layers[1].v_proj = iota(KV * H);
        w.layers[1].o_proj = iota(H * D);

        const auto p = m1::tp::make_tp_plan(c, 4);
        const auto r = m1::tp::slice_rank_weights(w, c, p, 3);  // heads 6-7, kv head 1, intermediate 24-31
        QCOMPARE(int64_t(r.embed.size()), 64 * H);
        QCOMPARE(r.embed[0], float(192 * H));
        const auto& lin = r.layers[0];
        QCOMPARE(int64_t(lin.qkv.size()), 2 * 48 * H);
        QCOMPARE(lin.qkv[0], float(6 * 48 * H));
        QCOMPARE(lin.output_gate[0], float(96 * H));
        QCOMPARE(int64_t(lin.out_norm.size()), int64_t(32));
        QCOMPARE(lin.out_norm[0], 96.0f);
        QCOMPARE(int64_t(lin.out_proj.size()), H * 32);
        QCOMPARE(lin.out_proj[0], 96.0f);           // row 0, column 96
        QCOMPARE(lin.out_proj[33], float(D + 97));  // row 1, column 97
        const auto& sm = r.layers[1];
        QCOMPARE(sm.q_proj[0], float(96 * H));
        QCOMPARE(int64_t(sm.k_proj.size()), 16 * H);
        QCOMPARE(sm.k_proj[0], float(16 * H));
        QCOMPARE(sm.v_proj[16 * H - 1], float(32 * H - 1));
        QCOMPARE(sm.o_proj[32], float(D + 96));
        QCOMPARE(sm.experts[0].w1[0], float(24 * H));
        QCOMPARE(sm.experts[0].w2[0], 24.0f);
        QCOMPARE(sm.experts[0].w2[8], float(I + 24));
        QCOMPARE(sm.router, w.layers[1].router);
    }

    void collectives() {
        std::vector<float> a = {1, 2, 3}, b = {10, 20, 30}, c = {100, 200, 300};
        std::vector<float*> bufs = {a.data(), b.data(), c.data()};
        m1::tp::all_reduce_sum(bufs, 3);
        const std::vector<float> sum = {111, 222, 333};
        QCOMPARE(a, sum);
        QCOMPARE(b, sum);
        QCOMPARE(c, sum);
        std::vector<double> d0 = {0.5}, d1 = {0.25};
        std::vector<double*> dbufs = {d0.data(), d1.data()};
        m1::tp::all_reduce_sum(dbufs, 1);
        QCOMPARE(d1[0], 0.75);
        // two ranks, 2 rows × 2 columns each → 2 rows × 4 columns
        const std::vector<float> r0 = {1, 2, 3, 4}, r1 = {5, 6, 7, 8};
        std::vector<const float*> parts = {r0.data(), r1.data()};
        std::vector<float> out(8);
        m1::tp::all_gather_columns(parts, 2, 2, out.data());
        QCOMPARE(out, (std::vector<float>{1, 2, 5, 6, 3, 4, 7, 8}));
    }
};

QTEST_APPLESS_MAIN(TestTpPlan)
#include "tst_tp_plan.moc"
