// Tensor parallelism emulated on the CPU with MiniMax-M1's real attention geometry: 64 heads × 128 (D = 8192),
// 8 kv heads, rotary 64, lightning block 256, the intermediate size one TP-8 rank of M1 holds (1152), but a narrow
// hidden size, 4 experts, 3 layers and a small vocabulary so that it fits in memory (~0.3 GB of fp32 weights).
// TP 2, 4 and 8 split the kv heads, TP 16 replicates them (each kv head serves two ranks). The logits must match
// the CPU backend's (TP = 1) within 1e-5 relative through a 300-token chunked prefill and decode steps.
#include "engine/cpu/cpu_backend.h"
#include "engine/model/model_presets.h"
#include "engine/tp/tp_emulated_backend.h"
#include "tests/engine/model/golden_data.h"

#include <QTemporaryDir>
#include <QtTest>

class TestTpM1Heads : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    std::unique_ptr<m1::checkpoint> m_ck;
    std::unique_ptr<m1::cpu::cpu_backend> m_ref;
    std::vector<std::vector<float>> m_ref_logits;  // per forward call: the TP = 1 logits
    std::vector<std::vector<int32_t>> m_calls;     // the ids of each call: 2 prefill chunks, then 2 decode steps

private slots:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        m1::model_config c = m1::preset_config("w16", 0);  // M1's heads, kv heads, head_dim, rotary, block, θ
        c.hidden_size = 512;
        c.num_layers = 3;
        c.layers = {m1::layer_kind::lightning, m1::layer_kind::softmax, m1::layer_kind::lightning};
        c.intermediate_size = 1152;
        c.num_experts = 4;
        c.vocab_size = 1024;
        c.validate("tst_tp_m1_heads config");
        QCOMPARE(c.num_heads, int64_t(64));
        QCOMPARE(c.num_kv_heads, int64_t(8));
        QCOMPARE(c.head_dim, int64_t(128));
        m1::make_model_options o;
        o.out_dir = m_dir.filePath("m1heads").toStdString();
        o.config = c;
        o.seed = 3;
        o.tokenizer_json = "{}";
        o.tokenizer_config_json = "{}";
        m1::make_random_model(o);
        m_ck = m1::checkpoint::open(o.out_dir);
        m_ref = std::make_unique<m1::cpu::cpu_backend>(*m_ck);

        std::vector<int32_t> prompt;
        for (int i = 0; i < 300; ++i) prompt.push_back(int32_t((i * 389 + 17) % 1024));
        m_calls = {{prompt.begin(), prompt.begin() + 170}, {prompt.begin() + 170, prompt.end()}, {5}, {900}};
        auto s = m_ref->new_state();
        for (size_t i = 0; i < m_calls.size(); ++i) {
            const bool all = i < 2;
            m_ref_logits.emplace_back((all ? m_calls[i].size() : 1) * 1024);
            m_ref->forward(*s, m_calls[i], all ? m1::logits_rows::all : m1::logits_rows::last,
                           m_ref_logits.back().data());
        }
    }

    void matchesTp1_data() {
        QTest::addColumn<int>("tp");
        QTest::newRow("tp2") << 2;
        QTest::newRow("tp4") << 4;
        QTest::newRow("tp8 (one kv head per rank)") << 8;
        QTest::newRow("tp16 (kv replicated)") << 16;
    }
    void matchesTp1() {
        QFETCH(int, tp);
        m1::tp::tp_emulated_backend be(*m_ck, tp);
        QCOMPARE(be.plan().kv_replicated, tp > 8);
        auto s = be.new_state();
        double worst = 0;
        for (size_t i = 0; i < m_calls.size(); ++i) {
            const bool all = i < 2;
            std::vector<float> out(m_ref_logits[i].size());
            be.forward(*s, m_calls[i], all ? m1::logits_rows::all : m1::logits_rows::last, out.data());
            worst = std::max(worst, golden::rel_error(out, m_ref_logits[i], 1024, 1024));
        }
        qInfo("M1 heads (64 x 128, kv 8) TP %d: max|d|/max|ref| = %.3g", tp, worst);
        QVERIFY2(worst <= 1e-5, qPrintable(QString("relative error %1").arg(worst)));
    }
};

QTEST_APPLESS_MAIN(TestTpM1Heads)
#include "tst_tp_m1_heads.moc"
