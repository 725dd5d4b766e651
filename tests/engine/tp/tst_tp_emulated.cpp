// Tensor parallelism emulated on the CPU (engine/tp/tp_emulated_backend.h) against the CPU backend (TP = 1): the
// same checkpoint split over 2, 4 and 8 ranks must give the same logits up to fp32 summation order (1e-5 relative,
// max|Δ| / max|ref|), through a chunked prefill and single-token decode steps. The CPU backend itself is checked
// against transformers by tst_forward_golden, so agreeing with it means agreeing with the reference.
#include "engine/model/model_presets.h"
#include "engine/tp/tp_emulated_backend.h"
#include "tests/engine/model/golden_data.h"

#include <QTemporaryDir>
#include <QtTest>

namespace {

constexpr double k_tolerance = 1e-5;

// Runs the same token stream through both backends: `chunks` prefill calls (all logits rows), then `decode_ids`
// one at a time (last row). Returns the worst relative error over every call.
double worst_error(m1::backend& ref, m1::backend& tp, const std::vector<int32_t>& prompt, int chunks,
                   const std::vector<int32_t>& decode_ids) {
    const int64_t V = ref.config().vocab_size;
    auto rs = ref.new_state();
    auto ts = tp.new_state();
    double worst = 0;
    auto step = [&](std::span<const int32_t> ids, m1::logits_rows rows) {
        const size_t n = rows == m1::logits_rows::all ? ids.size() : 1;
        std::vector<float> a(n * size_t(V)), b(n * size_t(V));
        ref.forward(*rs, ids, rows, a.data());
        tp.forward(*ts, ids, rows, b.data());
        worst = std::max(worst, golden::rel_error(b, a, V, V));
    };
    const size_t per = (prompt.size() + size_t(chunks) - 1) / size_t(chunks);
    for (size_t at = 0; at < prompt.size(); at += per)
        step(std::span(prompt).subspan(at, std::min(per, prompt.size() - at)), m1::logits_rows::all);
    for (int32_t id : decode_ids) step(std::span(&id, 1), m1::logits_rows::last);
    if (rs->n_past() != ts->n_past()) return INFINITY;
    return worst;
}

// 8 heads × 16, 2 kv heads (TP 4 and 8 replicate them), layers lightning, lightning, softmax, lightning,
// 4 experts × 32, block 16 so that a 70-token prompt spans several lightning blocks.
m1::model_config random_config() {
    m1::model_config c = m1::preset_config("tiny", 256);
    c.vocab_size = 256;
    c.num_heads = 8;
    c.head_dim = 16;
    c.num_kv_heads = 2;
    c.num_layers = 4;
    c.layers = {m1::layer_kind::lightning, m1::layer_kind::lightning, m1::layer_kind::softmax,
                m1::layer_kind::lightning};
    c.intermediate_size = 32;
    c.num_experts = 4;
    c.lightning_block = 16;
    c.validate("tst_tp_emulated random config");
    return c;
}

std::vector<int32_t> some_ids(int n, int vocab, int salt) {
    std::vector<int32_t> ids;
    for (int i = 0; i < n; ++i) ids.push_back(int32_t((i * 37 + salt * 11 + (i * i) % 13) % vocab));
    return ids;
}

}  // namespace

class TestTpEmulated : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    std::unique_ptr<m1::checkpoint> m_random;

private slots:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        m1::make_model_options o;
        o.out_dir = m_dir.filePath("random").toStdString();
        o.config = random_config();
        o.seed = 5;
        o.tokenizer_json = "{}";
        o.tokenizer_config_json = "{}";
        m1::make_random_model(o);
        m_random = m1::checkpoint::open(o.out_dir);
    }

    void goldenCheckpoints_data() {
        QTest::addColumn<QString>("config");
        QTest::addColumn<int>("n");
        QTest::addColumn<int>("tp");
        // peer_full_rotary: 4 heads, 2 kv heads (TP 4 replicates them); TP 8 would split a head, refused below
        QTest::newRow("peer_full_rotary tp2") << "peer_full_rotary" << 600 << 2;
        QTest::newRow("peer_full_rotary tp4") << "peer_full_rotary" << 600 << 4;
        // partial_rotary_gqa4: 8 heads, 2 kv heads, intermediate 40 (5 rows per rank at TP 8)
        QTest::newRow("partial_rotary_gqa4 tp2") << "partial_rotary_gqa4" << 700 << 2;
        QTest::newRow("partial_rotary_gqa4 tp4") << "partial_rotary_gqa4" << 700 << 4;
        QTest::newRow("partial_rotary_gqa4 tp8") << "partial_rotary_gqa4" << 700 << 8;
        // block256_heads6: 6 heads (the non-power-of-two slopes taken from global head indices), TP 2 only
        QTest::newRow("block256_heads6 tp2") << "block256_heads6" << 600 << 2;
    }
    void goldenCheckpoints() {
        QFETCH(QString, config);
        QFETCH(int, n);
        QFETCH(int, tp);
        const std::string name = config.toStdString();
        m1::cpu::cpu_backend& ref = golden::backend(name);
        m1::tp::tp_emulated_backend be(*m1::checkpoint::open(golden::dir(name)), tp);
        QCOMPARE(be.name(), "cpu-tp" + std::to_string(tp));
        const std::vector<int32_t> ids = golden::ids(name, n);
        QCOMPARE(int(ids.size()), n);
        const double err = worst_error(ref, be, ids, 2, {ids[0], ids[1], ids[2]});
        qInfo("%s TP %d, %d-token prefill in 2 chunks + 3 decode steps: max|d|/max|ref| = %.3g", name.c_str(), tp, n,
              err);
        QVERIFY2(err <= k_tolerance, qPrintable(QString("relative error %1").arg(err)));
    }

    void randomWeights_data() {
        QTest::addColumn<int>("tp");
        QTest::newRow("tp1") << 1;
        QTest::newRow("tp2 (kv split)") << 2;
        QTest::newRow("tp4 (kv replicated)") << 4;
        QTest::newRow("tp8 (one head per rank)") << 8;
    }
    void randomWeights() {
        QFETCH(int, tp);
        m1::cpu::cpu_backend ref(*m_random);
        m1::tp::tp_emulated_backend be(*m_random, tp);
        QCOMPARE(be.plan().kv_replicated, tp > 2);
        const std::vector<int32_t> prompt = some_ids(70, 256, tp), decode = some_ids(5, 256, 100 + tp);
        const double err = worst_error(ref, be, prompt, 3, decode);
        qInfo("random 8x16 heads TP %d: max|d|/max|ref| = %.3g", tp, err);
        QVERIFY2(err <= k_tolerance, qPrintable(QString("relative error %1").arg(err)));
        // After 10 tokens the ranks together hold the lightning states of all 8 heads (3 layers × 8 × 16 × 16
        // floats) and, in the softmax layer, 10 × 2 kv heads × 16 × (k, v) floats — times TP/2 when the 2 kv heads
        // are replicated, since every rank then caches its own copy.
        auto rs = ref.new_state();
        auto ts = be.new_state();
        const std::vector<int32_t> ten = some_ids(10, 256, 7);
        ref.forward(*rs, ten, m1::logits_rows::none, nullptr);
        be.forward(*ts, ten, m1::logits_rows::none, nullptr);
        const size_t lightning = 3 * 8 * 16 * 16 * sizeof(float), kv = 10 * 2 * 16 * 2 * sizeof(float);
        QCOMPARE(rs->bytes(), lightning + kv);
        QCOMPARE(ts->bytes(), lightning + kv * size_t(std::max(1, tp / 2)));
    }

    void refusesSplitHeads() {
        for (auto [name, tp] : {std::pair{"peer_full_rotary", 8}, {"block256_heads6", 4}, {"block256_heads6", 8}}) {
            QString message;
            try {
                m1::tp::tp_emulated_backend be(*m1::checkpoint::open(golden::dir(name)), tp);
            } catch (const m1::tp::tp_error& e) {
                message = e.what();
            }
            QVERIFY2(message.contains(QString("TP %1 does not divide").arg(tp)) && message.contains("attention heads"),
                     qPrintable(QString("%1 TP %2: '%3'").arg(name).arg(tp).arg(message)));
        }
        QVERIFY_THROWS_EXCEPTION(m1::tp::tp_error, m1::tp::tp_emulated_backend(*m_random, 3));
    }

    void refusesForeignState() {
        m1::cpu::cpu_backend ref(*m_random);
        m1::tp::tp_emulated_backend be(*m_random, 2);
        auto foreign = ref.new_state();
        std::vector<float> out(256);
        const int32_t id = 1;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 be.forward(*foreign, std::span(&id, 1), m1::logits_rows::last, out.data()));
        auto own = be.new_state();
        const int32_t bad = 256;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                                 be.forward(*own, std::span(&bad, 1), m1::logits_rows::last, out.data()));
        QCOMPARE(own->n_past(), int64_t(0));
    }
};

QTEST_APPLESS_MAIN(TestTpEmulated)
#include "tst_tp_emulated.moc"
