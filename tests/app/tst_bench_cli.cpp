// m1 bench's command line through the real executable: usage errors exit 2 naming the option, and on a machine
// without a usable CUDA GPU (CPU-only CI, or an m1 built without CUDA) a valid command line exits 1 with
// "m1 bench needs a CUDA GPU: <why>" before doing any work. The measurements themselves run on the H200 machine
// (tests/bench/README.md).
#include "tests/common/m1_process.h"

#include <QTemporaryDir>
#include <QtTest>

using m1test::M1Run;
using m1test::runM1;

namespace {

M1Run bench(const QStringList& args) {
    return runM1(QStringList{QStringLiteral("bench")} + args);
}

bool machineHasGpu() {
    return runM1({QStringLiteral("version")}).out.contains(QStringLiteral("\nGPU 0: "));
}

}  // namespace

class TestBenchCli : public QObject {
    Q_OBJECT
private slots:
    void helpDescribesTheOptions() {
        const M1Run r = bench({QStringLiteral("--help")});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.startsWith(QStringLiteral("usage: m1 bench")));
        for (const char* option : {"--config", "--contexts", "--decode-tokens", "--follow-up", "--precision", "--json",
                                   "--seed", "--kernels", "--only"})
            QVERIFY2(r.out.contains(QLatin1String(option)), option);
    }

    void usageErrorsExit2() {
        const struct {
            QStringList args;
            const char* message;
        } cases[] = {
            {{QStringLiteral("--contexts"), QStringLiteral("128K,8K")}, "ascending order"},
            {{QStringLiteral("--contexts"), QStringLiteral("8K,lots")}, "--contexts expects positive token counts"},
            {{QStringLiteral("--contexts"), QStringLiteral("0")}, "--contexts expects positive token counts"},
            {{QStringLiteral("--config"), QStringLiteral("w17")}, "'w17' is neither a known configuration"},
            {{QStringLiteral("--precision"), QStringLiteral("half")}, "--precision expects fast or reference"},
            {{QStringLiteral("--decode-tokens"), QStringLiteral("0")}, "--decode-tokens expects 1 to 100000"},
            {{QStringLiteral("--decode-tokens"), QStringLiteral("many")}, "--decode-tokens"},
            {{QStringLiteral("--follow-up"), QStringLiteral("-1")}, "--follow-up expects 0 to"},
            {{QStringLiteral("--bogus")}, "unknown option --bogus"},
            {{QStringLiteral("--only"), QStringLiteral("lightning")}, "--only selects kernels and applies only to"},
            {{QStringLiteral("--kernels"), QStringLiteral("--only"), QStringLiteral("lightning,softmax")},
             "--only expects attention, lightning or experts separated by commas, got 'lightning,softmax'"},
            {{QStringLiteral("--kernels"), QStringLiteral("--only"), QStringLiteral("")},
             "--only expects at least one of"},
        };
        for (const auto& c : cases) {
            const M1Run r = bench(c.args);
            QVERIFY2(r.code == 2, qPrintable(c.args.join(' ') + QStringLiteral(": exit ") + QString::number(r.code)));
            QVERIFY2(r.err.contains(QLatin1String(c.message)), qPrintable(r.err));
            QVERIFY(r.out.isEmpty());
        }
    }

    void withoutAGpuItSaysSoAndExits1() {
        if (machineHasGpu()) QSKIP("this machine has a CUDA GPU: m1 bench would run the benchmark");
        QTemporaryDir dir;
        const QString json = dir.filePath(QStringLiteral("bench.json"));
        for (const QStringList& args :
             {QStringList{}, QStringList{QStringLiteral("--kernels")},
              QStringList{QStringLiteral("--config"), QStringLiteral("w4-32e"), QStringLiteral("--contexts"),
                          QStringLiteral("8K"), QStringLiteral("--json"), json}}) {
            const M1Run r = bench(args);
            QCOMPARE(r.code, 1);
            QVERIFY2(r.err.startsWith(QStringLiteral("m1 bench needs a CUDA GPU: ")), qPrintable(r.err));
            QVERIFY2(r.err.contains(QStringLiteral("built without the CUDA backend")) ||
                         r.err.contains(QStringLiteral("no CUDA device is visible")),
                     qPrintable(r.err));
            QVERIFY(!QFile::exists(json));  // nothing measured, nothing written
        }
    }
};

QTEST_GUILESS_MAIN(TestBenchCli)
#include "tst_bench_cli.moc"
