#include "app/core/Resources.h"
#include "app/core/Workspace.h"

#include <QTemporaryDir>
#include <QtTest>

using m1::app::Workspace;
using m1::app::WorkspaceSource;

class TestWorkspace : public QObject {
    Q_OBJECT

    static QString write(QTemporaryDir& dir, const QByteArray& content) {
        const QString path = dir.filePath(QStringLiteral("ws.json"));
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly)) return {};
        f.write(content);
        return path;
    }

private slots:
    void loadsTheDemoWorkspace() {
        const QString file = m1::app::demoWorkspaceFile();
        QVERIFY2(!file.isEmpty(), "demo workspace not found");
        Workspace ws;
        QString error;
        QVERIFY2(ws.load(file, &error), qPrintable(error));
        QVERIFY(ws.sources().size() >= 3);
        for (const auto& s : ws.sources()) QVERIFY2(QFileInfo::exists(ws.absolutePath(s)), qPrintable(s.path));
    }

    void resolvesRelativePathsAgainstTheFile() {
        QTemporaryDir dir;
        const QString path =
            write(dir, "{\"name\":\"W\",\"sources\":[{\"path\":\"a/b.txt\"},{\"path\":\"/abs/c.pdf\",\"included\":false}]}");
        Workspace ws;
        QString error;
        QVERIFY2(ws.load(path, &error), qPrintable(error));
        QCOMPARE(ws.name(), QStringLiteral("W"));
        QCOMPARE(ws.absolutePath(ws.sources()[0]), dir.filePath(QStringLiteral("a/b.txt")));
        QCOMPARE(ws.absolutePath(ws.sources()[1]), QStringLiteral("/abs/c.pdf"));
        QVERIFY(ws.sources()[0].included);
        QVERIFY(!ws.sources()[1].included);
    }

    void savesAndLoadsSourcesAndSettings() {
        QTemporaryDir dir;
        Workspace ws;
        ws.setName(QStringLiteral("Contracts 2026"));
        WorkspaceSource repo;
        repo.path = QStringLiteral("code/repo");
        repo.kind = QStringLiteral("git");
        repo.ref = QStringLiteral("v1.0");
        repo.include = {QStringLiteral("src/**")};
        repo.exclude = {QStringLiteral("src/generated/**"), QStringLiteral("*.min.js")};
        WorkspaceSource pdf;
        pdf.path = QStringLiteral("msa.pdf");
        pdf.contract = true;
        pdf.included = false;
        ws.sources() = {repo, pdf};
        ws.settings().model = QStringLiteral("/models/MiniMax-M1-80k");
        ws.settings().backend = QStringLiteral("cuda");
        ws.settings().sampling.maxOutputTokens = 81920;
        ws.settings().sampling.seed = 9007199254740993ull;  // not representable as a double
        ws.settings().systemPreset = QStringLiteral("math");
        QString error;
        const QString file = dir.filePath(QStringLiteral("w.m1workspace"));
        QVERIFY2(ws.save(file, &error), qPrintable(error));
        Workspace back;
        QVERIFY2(back.load(file, &error), qPrintable(error));
        QCOMPARE(back.toJson(), ws.toJson());
        QCOMPARE(back.name(), QStringLiteral("Contracts 2026"));
        QCOMPARE(back.sources()[0].exclude.size(), 2);
        QCOMPARE(back.sources()[0].ref, QStringLiteral("v1.0"));
        QVERIFY(back.sources()[1].contract && !back.sources()[1].included);
        QCOMPARE(back.settings().sampling.seed, 9007199254740993ull);
        QCOMPARE(back.settings().sampling.maxOutputTokens, 81920);
        QCOMPARE(back.absolutePath(back.sources()[0]), dir.filePath(QStringLiteral("code/repo")));
        // Defaults: M1's recommended sampling.
        Workspace fresh;
        QCOMPARE(fresh.settings().sampling.temperature, 1.0);
        QCOMPARE(fresh.settings().sampling.topP, 0.95);
        QCOMPARE(fresh.settings().sampling.maxOutputTokens, 40960);
    }

    void badFilesAreRefusedWithTheirName_data() {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("expected");
        QTest::newRow("truncated JSON") << QByteArray("{\"sources\":[{\"path\":\"a") << QStringLiteral("not a complete workspace file");
        QTest::newRow("no sources") << QByteArray("{\"name\":\"x\"}") << QStringLiteral("\"sources\" array");
        QTest::newRow("source without path") << QByteArray("{\"sources\":[{}]}") << QStringLiteral("source 1");
        QTest::newRow("future version") << QByteArray("{\"version\":2,\"sources\":[]}") << QStringLiteral("version 2 is not supported");
        QTest::newRow("bad settings") << QByteArray("{\"sources\":[],\"settings\":{\"top_p\":1.5}}") << QStringLiteral("out of range");
    }
    void badFilesAreRefusedWithTheirName() {
        QFETCH(QByteArray, content);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        const QString path = write(dir, content);
        Workspace ws;
        QString error;
        QVERIFY(!ws.load(path, &error));
        QVERIFY2(error.startsWith(path) && error.contains(expected), qPrintable(error));
        QVERIFY(ws.sources().isEmpty());  // nothing half-loaded
    }
};

QTEST_GUILESS_MAIN(TestWorkspace)
#include "tst_workspace.moc"
