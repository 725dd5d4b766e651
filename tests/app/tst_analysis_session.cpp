// An analysis session end to end with a real tiny random-weight model (m1 make-model) on the CPU engine.
#include "app/backends/EngineBackend.h"
#include "app/session/AnalysisSession.h"
#include "engine/core/build_info.h"
#include "engine/cpu/cpu_backend.h"
#include "engine/model/checkpoint.h"
#include "engine/model/session.h"
#include "engine/tokenizer/tokenizer.h"
#include "ingest/text/text_reader.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace m1::app;

class TestAnalysisSession : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_model;
    m1::ingest::source m_agreement;

    std::unique_ptr<EngineBackend> openBackend() {
        QString error;
        auto b = EngineBackend::open(m_model, QStringLiteral("cpu"), &error);
        if (!b) qWarning("%s", qPrintable(error));
        return b;
    }

private slots:
    void initTestCase() {
        m_model = m_dir.filePath(QStringLiteral("tiny"));
        QProcess p;
        p.start(QStringLiteral(M1_CLI), {QStringLiteral("make-model"), QStringLiteral("--preset"), QStringLiteral("tiny"),
                                         QStringLiteral("--seed"), QStringLiteral("7"), QStringLiteral("--out"), m_model});
        QVERIFY(p.waitForFinished(120000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        m_agreement = m1::ingest::read_text_file(M1_SOURCE_DIR "/resources/demo/docs/service-agreement.md");
    }

    void followUpReusesThePrefixAndMatchesAFreshPrefill() {
        auto backend = openBackend();
        QVERIFY(backend);
        QVERIFY(backend->info().randomWeights);
        AnalysisSession session(*backend);
        QString error;
        QVERIFY2(session.setContext(QStringLiteral("You are a helpful assistant."), {{&m_agreement}}, 16, &error),
                 qPrintable(error));
        session.conversation().sampling.temperature = 1.0;
        session.conversation().sampling.seed = 42;

        std::atomic<bool> cancel{false};
        qint64 prefixEvents = 0;
        AnalysisCallbacks cb;
        cb.prefill = [&](const PrefillProgress& p, bool prefix) {
            if (prefix) {
                ++prefixEvents;
                [&] { QVERIFY(p.done <= p.total && p.total == session.context().totalTokens); }();
            }
            return true;
        };
        std::vector<float> first1, first2;
        cb.firstLogits = [&](const std::vector<float>& l) { first1 = l; };
        QVERIFY2(session.ask(QStringLiteral("Which clause limits liability?"), cb, cancel, &error), qPrintable(error));
        QVERIFY(prefixEvents >= 1);
        const Turn t1 = session.conversation().turns.at(0);
        // The first question paid for the sources; the second one reuses them.
        QCOMPARE(t1.stats.reusedTokens, qint64(0));
        QVERIFY(t1.stats.promptTokens > session.context().totalTokens);

        prefixEvents = 0;
        cb.firstLogits = [&](const std::vector<float>& l) { first2 = l; };
        const QString q2 = QStringLiteral("And how long is the term?");
        QVERIFY2(session.ask(q2, cb, cancel, &error), qPrintable(error));
        QCOMPARE(prefixEvents, 0);  // the sources were not prefilled again
        QCOMPARE(session.conversation().turns.size(), 2);
        const Turn& t2 = session.conversation().turns.at(1);
        const std::string suffix = ContextBuilder::turnSuffix({{t1.question, t1.answer}}, q2);
        QCOMPARE(t2.stats.promptTokens, qint64(backend->tokenizer().encode(suffix).size()));
        QCOMPARE(t2.stats.reusedTokens, session.context().totalTokens);

        // A fresh session over prefix + suffix, prefilled in one go, gives the same first-token logits.
        auto ck = m1::checkpoint::open(m_model.toStdString());
        m1::cpu::cpu_backend fresh(*ck);
        m1::session s(fresh, int64_t(backend->tokenizer().size()));
        std::vector<int32_t> all = session.context().prefixIds;
        const auto tail = backend->tokenizer().encode(suffix);
        all.insert(all.end(), tail.begin(), tail.end());
        QVERIFY(s.prefill(all, 0));
        const std::vector<float>& ref = s.logits();
        QCOMPARE(first2.size(), ref.size());
        float maxRef = 0, maxDiff = 0;
        for (size_t i = 0; i < ref.size(); ++i) {
            if (std::isinf(ref[i])) {
                QVERIFY(std::isinf(first2[i]));
                continue;
            }
            maxRef = std::max(maxRef, std::fabs(ref[i]));
            maxDiff = std::max(maxDiff, std::fabs(ref[i] - first2[i]));
        }
        QVERIFY2(maxDiff <= 1e-5f * maxRef, qPrintable(QStringLiteral("max diff %1 of %2").arg(maxDiff).arg(maxRef)));
    }

    void stopsWhenTheCallbackSaysSo() {
        auto backend = openBackend();
        QVERIFY(backend);
        AnalysisSession session(*backend);
        QString error;
        QVERIFY(session.setContext(QStringLiteral("x"), {{&m_agreement}}, 64, &error));
        std::atomic<bool> cancel{false};
        int deltas = 0;
        AnalysisCallbacks cb;
        cb.answer = [&](const QString&) { return ++deltas < 3; };
        cb.reasoning = cb.answer;
        QVERIFY(!session.ask(QStringLiteral("Go on."), cb, cancel, &error));
        QVERIFY(error.isEmpty());
        QCOMPARE(deltas, 3);
        QCOMPARE(session.conversation().turns.size(), 1);  // the partial turn is kept
    }

    void unusableDevicesAreNamed() {
        QString error;
        QVERIFY(!EngineBackend::open(m_model, QStringLiteral("tpu"), &error));
        QVERIFY2(error.contains(QStringLiteral("unknown backend 'tpu'")), qPrintable(error));
        QVERIFY(!EngineBackend::open(m_model, QStringLiteral("cuda:x"), &error));
        QVERIFY2(error.contains(QStringLiteral("CUDA")) || error.contains(QStringLiteral("cuda:N")), qPrintable(error));
        if (!m1::query_gpus().devices.empty()) QSKIP("this machine has a GPU");
        // No GPU here: either this build has no CUDA backend, or the CUDA runtime says why it cannot run.
        QVERIFY(!EngineBackend::open(m_model, QStringLiteral("cuda"), &error));
        QVERIFY2(error.contains(QStringLiteral("CUDA"), Qt::CaseInsensitive), qPrintable(error));
    }

    void overBudgetIsRefused() {
        auto backend = openBackend();
        QVERIFY(backend);
        AnalysisSession session(*backend);
        QString error;
        QVERIFY(!session.setContext(QStringLiteral("x"), {{&m_agreement}}, backend->contextTokens() - 10, &error));
        QVERIFY2(error.contains(QStringLiteral("service-agreement.md")), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestAnalysisSession)
#include "tst_analysis_session.moc"
