// `m1 logits` (contract in product.md): raw float32 logits that match transformers' golden logits whatever the
// prefill chunk or decode start, and clear errors with exit status 1 (work failed) or 2 (usage).
#include "golden_data.h"

#include "tests/common/m1_process.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

namespace {


}  // namespace

class TestLogitsCli : public QObject {
    Q_OBJECT
private slots:
    void writesGoldenLogits_data() {
        QTest::addColumn<QStringList>("extra");
        QTest::newRow("whole prompt") << QStringList{};
        QTest::newRow("--prefill-chunk 7") << QStringList{"--prefill-chunk", "7"};
        QTest::newRow("--decode-from 40") << QStringList{"--decode-from", "40"};
        QTest::newRow("--prefill-chunk 32 --decode-from 64 --threads 1")
            << QStringList{"--prefill-chunk", "32", "--decode-from", "64", "--threads", "1"};
    }
    void writesGoldenLogits() {
        QFETCH(QStringList, extra);
        QTemporaryDir tmp;
        const std::string cfg = "partial_rotary_gqa4";
        const QString out = tmp.filePath("logits.bin");
        const m1test::M1Run r = m1test::runM1(QStringList{"logits", "--model", QString::fromStdString(golden::dir(cfg)), "--ids",
                                            QString::fromStdString(golden::dir(cfg) + "/ids_97.txt"), "--out", out} +
                                extra);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const std::vector<float> got = golden::floats(out.toStdString());
        const std::vector<float> ref = golden::logits(cfg, 97);
        QCOMPARE(got.size(), ref.size());
        const double err = golden::rel_error(got, ref, 384, 384);
        QVERIFY2(err <= 1e-4, qPrintable(QString::number(err)));
    }

    void reportsErrors() {
        QTemporaryDir tmp;
        const QString model = QString::fromStdString(golden::dir("partial_rotary_gqa4"));
        const QString ids = QString::fromStdString(golden::dir("partial_rotary_gqa4") + "/ids_97.txt");
        const QString out = tmp.filePath("x.bin");
        // usage errors: exit 2
        QCOMPARE(m1test::runM1({"logits", "--model", model, "--out", out}).code, 2);
        QCOMPARE(m1test::runM1({"logits", "--model", model, "--ids", ids, "--out", out, "--prefill-chunk", "0"}).code, 2);
        QCOMPARE(m1test::runM1({"logits", "--model", model, "--ids", ids, "--out", out, "--backend", "tpu"}).code, 2);
        // work failures: exit 1 with a message naming the problem
        m1test::M1Run r = m1test::runM1({"logits", "--model", model, "--ids", ids, "--out", out, "--backend", "cuda"});
        QCOMPARE(r.code, 1);
        // No usable GPU here: either this m1 was built without CUDA, or the CUDA runtime says why it cannot run.
        QVERIFY2(r.err.contains("CUDA"), qPrintable(r.err));
        QFile bad(tmp.filePath("bad.txt"));
        QVERIFY(bad.open(QIODevice::WriteOnly));
        bad.write("1 2 three 4\n");
        bad.close();
        r = m1test::runM1({"logits", "--model", model, "--ids", bad.fileName(), "--out", out});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("bad.txt") && r.err.contains("'three'"), qPrintable(r.err));
        QFile big(tmp.filePath("big.txt"));
        QVERIFY(big.open(QIODevice::WriteOnly));
        big.write("1 384\n");  // vocab_size is 384
        big.close();
        r = m1test::runM1({"logits", "--model", model, "--ids", big.fileName(), "--out", out});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("384"), qPrintable(r.err));
        r = m1test::runM1({"logits", "--model", tmp.filePath("nowhere"), "--ids", ids, "--out", out});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("nowhere"), qPrintable(r.err));
        r = m1test::runM1({"logits", "--model", model, "--ids", ids, "--out", out, "--decode-from", "98"});
        QCOMPARE(r.code, 1);
    }
};

QTEST_GUILESS_MAIN(TestLogitsCli)
#include "tst_logits_cli.moc"
