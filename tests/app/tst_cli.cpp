// Drives the real m1 executable through QProcess.
#include "tests/common/m1_process.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

namespace {

using m1test::M1Run;
using m1test::runM1;

}  // namespace

class TestCli : public QObject {
    Q_OBJECT
private slots:
    void helpListsCommands() {
        const M1Run r = runM1({QStringLiteral("--help")});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.contains(QStringLiteral("version")));
        QVERIFY(r.out.contains(QStringLiteral("demo")));
    }

    void versionReportsBuildAndGpus() {
        const M1Run r = runM1({QStringLiteral("version")});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains(QRegularExpression(QStringLiteral("^M1 Studio \\d+\\.\\d+\\.\\d+\\n"))), qPrintable(r.out));
        QVERIFY(r.out.contains(QStringLiteral("build type: ")));
        QVERIFY(r.out.contains(M1_CUDA_ENABLED ? QStringLiteral("CUDA: built in") : QStringLiteral("CUDA: not built in")));
        QVERIFY2(r.out.contains(QRegularExpression(QStringLiteral("\\n(GPU 0: |no GPU \\()"))), qPrintable(r.out));
    }

    void unknownCommandAndOptionFail() {
        M1Run r = runM1({QStringLiteral("frobnicate")});
        QCOMPARE(r.code, 2);
        QVERIFY(r.err.contains(QStringLiteral("unknown command 'frobnicate'")));
        r = runM1({QStringLiteral("version"), QStringLiteral("--bogus")});
        QCOMPARE(r.code, 2);
        QVERIFY(r.err.contains(QStringLiteral("unknown option --bogus")));
    }

    void everyCommandHasHelp() {
        const M1Run list = runM1({QStringLiteral("--help")});
        const auto matches = QRegularExpression(QStringLiteral("^  (\\S+) "), QRegularExpression::MultilineOption)
                                 .globalMatch(list.out);
        int seen = 0;
        for (auto it = matches; it.hasNext();) {
            const QString cmd = it.next().captured(1);
            const M1Run r = runM1({cmd, QStringLiteral("--help")});
            QCOMPARE(r.code, 0);
            QVERIFY2(r.out.startsWith(QStringLiteral("usage: m1 ") + cmd), qPrintable(cmd));
            ++seen;
        }
        QVERIFY(seen >= 2);
    }

    void headlessDemoAsksAndWritesAReport() {
        QTemporaryDir cache;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("XDG_CACHE_HOME"), cache.path());  // the demo model is made on first use
        const QString report = cache.filePath(QStringLiteral("report.md"));
        const M1Run r = runM1({QStringLiteral("demo"), QStringLiteral("--report"), report, QStringLiteral("--max-tokens"),
                             QStringLiteral("8")},
                            env);
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains(QStringLiteral("sources: 3 read")), qPrintable(r.out));
        QVERIFY(r.out.contains(QStringLiteral("RANDOM WEIGHTS")));
        QVERIFY(r.out.contains(QStringLiteral("=== Question 2")));
        QVERIFY(QFileInfo::exists(cache.filePath(QStringLiteral("m1studio/demo-model-tiny-seed1/config.json"))));
        QFile f(report);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QString md = QString::fromUtf8(f.readAll());
        QVERIFY(md.contains(QStringLiteral("DEMO MODEL WITH RANDOM WEIGHTS")));
        QVERIFY(md.contains(QStringLiteral("## Question 2")));
        QVERIFY(md.contains(QStringLiteral("service-agreement.md")));
        // The second question reused the prefilled sources.
        QVERIFY2(md.contains(QStringLiteral("- Question 1: prefix prefilled")), qPrintable(md));
        QVERIFY2(md.contains(QStringLiteral("- Question 2: prefix reused")), qPrintable(md));
    }

    void demoWithBrokenWorkspaceFails() {
        const M1Run r = runM1({QStringLiteral("demo"), QStringLiteral("--workspace"), QStringLiteral("/nonexistent.json")});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(QStringLiteral("/nonexistent.json: cannot open")), qPrintable(r.err));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
