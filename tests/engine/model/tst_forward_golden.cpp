// The CPU forward pass against transformers' logits (tests/reference/model/make_golden.py): three tiny MiniMax-M1
// configurations in the official checkpoint layout, prompts of 1 token and of more than two lightning blocks.
#include "engine/model/session.h"
#include "golden_data.h"

#include <QtTest>

class TestForwardGolden : public QObject {
    Q_OBJECT
private slots:
    void matchesTransformers_data() {
        QTest::addColumn<QString>("config");
        QTest::addColumn<int>("n");
        // full-width RoPE, power-of-two heads: unpatched transformers, an exact peer
        QTest::newRow("peer_full_rotary 1") << "peer_full_rotary" << 1;
        QTest::newRow("peer_full_rotary 600 (block 16)") << "peer_full_rotary" << 600;
        // partial RoPE (8 of 16 dims), GQA 4, heads·head_dim = 2·hidden, distinct α/β per kind
        QTest::newRow("partial_rotary_gqa4 1") << "partial_rotary_gqa4" << 1;
        QTest::newRow("partial_rotary_gqa4 97") << "partial_rotary_gqa4" << 97;
        QTest::newRow("partial_rotary_gqa4 700 (block 32)") << "partial_rotary_gqa4" << 700;
        // 6 heads (the non-power-of-two slope rule), M1's block of 256 with > 2 blocks, slowest slope in the last layer
        QTest::newRow("block256_heads6 1") << "block256_heads6" << 1;
        QTest::newRow("block256_heads6 600") << "block256_heads6" << 600;
    }
    void matchesTransformers() {
        QFETCH(QString, config);
        QFETCH(int, n);
        const std::string name = config.toStdString();
        m1::cpu::cpu_backend& be = golden::backend(name);
        const std::vector<int32_t> ids = golden::ids(name, n);
        const std::vector<float> ref = golden::logits(name, n);
        const int64_t vocab = be.config().vocab_size;
        QCOMPARE(int64_t(ids.size()), int64_t(n));
        QCOMPARE(int64_t(ref.size()), n * vocab);

        m1::session s(be);
        std::vector<float> out(ref.size());
        QVERIFY(s.prefill(ids, 0, {}, out.data()));
        QCOMPARE(s.n_past(), int64_t(n));
        const double err = golden::rel_error(out, ref, vocab, vocab);
        qInfo("%s, %d tokens: max|d|/max|ref| = %.3g", name.c_str(), n, err);
        QVERIFY2(err <= 1e-4, qPrintable(QString("relative error %1").arg(err)));
    }

    void masksPaddingIdsOnly() {
        m1::cpu::cpu_backend& be = golden::backend("partial_rotary_gqa4");
        const int64_t vocab = be.config().vocab_size, valid = vocab - 20;
        const std::vector<int32_t> ids = golden::ids("partial_rotary_gqa4", 97);
        const std::vector<float> ref = golden::logits("partial_rotary_gqa4", 97);
        m1::session s(be, valid);
        std::vector<float> out(ref.size());
        s.prefill(ids, 0, {}, out.data());
        for (int64_t t = 0; t < 97; ++t)
            for (int64_t v = valid; v < vocab; ++v)
                QVERIFY(std::isinf(out[size_t(t * vocab + v)]) && out[size_t(t * vocab + v)] < 0);
        QVERIFY(golden::rel_error(out, ref, vocab, valid) <= 1e-4);
        QVERIFY(std::isinf(s.logits()[size_t(vocab - 1)]));
    }
};

QTEST_GUILESS_MAIN(TestForwardGolden)
#include "tst_forward_golden.moc"
