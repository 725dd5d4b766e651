// Sessions on the CPU backend: every way of feeding a sequence (chunked prefill, decode from any point) gives the
// full forward's logits; a fork from a snapshot continues exactly like the original; cancel keeps whole chunks.
#include "engine/model/session.h"
#include "golden_data.h"

#include <QtTest>

namespace {

// The whole sequence in one prefill: the reference for every other way of feeding it.
std::vector<float> full_forward(m1::backend& be, const std::vector<int32_t>& ids) {
    m1::session s(be);
    std::vector<float> out(ids.size() * size_t(be.config().vocab_size));
    s.prefill(ids, 0, {}, out.data());
    return out;
}

// The first k ids by prefill (in chunks of `chunk`), the rest one at a time through decode().
std::vector<float> prefill_then_decode(m1::backend& be, const std::vector<int32_t>& ids, int64_t k, int64_t chunk) {
    const int64_t vocab = be.config().vocab_size;
    m1::session s(be);
    std::vector<float> out(ids.size() * size_t(vocab));
    s.prefill(std::span<const int32_t>(ids.data(), size_t(k)), chunk, {}, out.data());
    for (size_t t = size_t(k); t < ids.size(); ++t) {
        const std::vector<float>& row = s.decode(ids[t]);
        std::copy(row.begin(), row.end(), out.begin() + int64_t(t) * vocab);
    }
    return out;
}

}  // namespace

class TestSession : public QObject {
    Q_OBJECT
private slots:
    void everyFeedingAgreesWithFullForward_data() {
        QTest::addColumn<QString>("config");
        QTest::addColumn<int>("chunk");
        QTest::addColumn<int>("decodeFrom");
        for (const char* config : {"partial_rotary_gqa4", "block256_heads6"}) {
            const int n = std::string(config) == "partial_rotary_gqa4" ? 700 : 600;
            for (int chunk : {1, 7, 256, 1000})
                QTest::newRow(qPrintable(QString("%1 --prefill-chunk %2").arg(config).arg(chunk)))
                    << config << chunk << n;
            for (int k : {0, 1, 255, 256, 257, 513})
                QTest::newRow(qPrintable(QString("%1 --decode-from %2").arg(config).arg(k))) << config << 0 << k;
            QTest::newRow(qPrintable(QString("%1 chunk 100, decode from 450").arg(config))) << config << 100 << 450;
        }
    }
    void everyFeedingAgreesWithFullForward() {
        QFETCH(QString, config);
        QFETCH(int, chunk);
        QFETCH(int, decodeFrom);
        const std::string name = config.toStdString();
        m1::cpu::cpu_backend& be = golden::backend(name);
        const int n = name == "partial_rotary_gqa4" ? 700 : 600;
        const std::vector<int32_t> ids = golden::ids(name, n);
        static std::map<std::string, std::vector<float>> full_cache;
        std::vector<float>& full = full_cache[name];
        if (full.empty()) full = full_forward(be, ids);
        const std::vector<float> got = prefill_then_decode(be, ids, decodeFrom, chunk);
        const int64_t vocab = be.config().vocab_size;
        const double err = golden::rel_error(got, full, vocab, vocab);
        qInfo("max|d|/max|full| = %.3g", err);
        QVERIFY2(err <= 1e-5, qPrintable(QString("relative error %1").arg(err)));
    }

    void forkContinuesExactlyLikeTheOriginal() {
        m1::cpu::cpu_backend& be = golden::backend("partial_rotary_gqa4");
        const std::vector<int32_t> ids = golden::ids("partial_rotary_gqa4", 700);
        const std::span<const int32_t> all(ids);
        m1::session original(be);
        QVERIFY(original.prefill(all.subspan(0, 300), 64));
        const m1::session_snapshot snap = original.snapshot();
        QCOMPARE(snap.n_past(), int64_t(300));
        QVERIFY(snap.bytes() > 0);

        // The original continues: a prefill chunk, then decode steps.
        auto continue_from_300 = [&](m1::session& s) {
            std::vector<float> seen;
            s.prefill(all.subspan(300, 200), 0);
            seen = s.logits();
            for (size_t t = 500; t < 520; ++t) {
                const std::vector<float>& row = s.decode(ids[t]);
                seen.insert(seen.end(), row.begin(), row.end());
            }
            return seen;
        };
        const std::vector<float> a = continue_from_300(original);
        QCOMPARE(original.n_past(), int64_t(520));

        // A fork made from the snapshot after the original moved on still starts at 300 and gives the same numbers.
        m1::session fork(be, snap);
        QCOMPARE(fork.n_past(), int64_t(300));
        const std::vector<float> b = continue_from_300(fork);
        QVERIFY(a == b);  // bit for bit: same state, same operations

        // Restoring the original to the snapshot replays identically too.
        original.restore(snap);
        QCOMPARE(original.n_past(), int64_t(300));
        QVERIFY(original.logits().empty());
        QVERIFY(continue_from_300(original) == a);

        // A different continuation of the fork changes the logits (the state really carries the prefix).
        m1::session other(be, snap);
        other.prefill(all.subspan(301, 200), 0);
        QVERIFY(other.logits() != std::vector<float>(a.begin(), a.begin() + be.config().vocab_size));
    }

    void cancelKeepsWholeChunksAndCanResume() {
        m1::cpu::cpu_backend& be = golden::backend("block256_heads6");
        const std::vector<int32_t> ids = golden::ids("block256_heads6", 600);
        const int64_t vocab = be.config().vocab_size;
        m1::session s(be);
        std::vector<std::pair<int64_t, int64_t>> calls;
        const bool finished = s.prefill(ids, 100, [&](int64_t done, int64_t total) {
            calls.emplace_back(done, total);
            return done < 200;  // stop after the second chunk
        });
        QVERIFY(!finished);
        QCOMPARE(s.n_past(), int64_t(200));
        QCOMPARE(calls, (std::vector<std::pair<int64_t, int64_t>>{{100, 600}, {200, 600}}));
        QVERIFY(s.logits().empty());
        QVERIFY(s.prefill(std::span<const int32_t>(ids).subspan(200), 0));
        const std::vector<float> full = full_forward(be, ids);
        const std::vector<float> last(full.end() - vocab, full.end());
        QVERIFY(golden::rel_error(s.logits(), last, vocab, vocab) <= 1e-5);
    }

    void refusesIdsOutsideTheVocabulary() {
        m1::cpu::cpu_backend& be = golden::backend("block256_heads6");
        m1::session s(be);
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, s.decode(int32_t(be.config().vocab_size)));
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, s.decode(-1));
        QCOMPARE(s.n_past(), int64_t(0));
    }
};

QTEST_GUILESS_MAIN(TestSession)
#include "tst_session.moc"
