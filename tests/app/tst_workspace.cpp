#include "app/core/Resources.h"
#include "app/core/Workspace.h"

#include <QTemporaryDir>
#include <QtTest>

using m1::app::Workspace;

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

    void badFilesAreRefusedWithTheirName_data() {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("expected");
        QTest::newRow("truncated JSON") << QByteArray("{\"sources\":[{\"path\":\"a") << QStringLiteral("not valid JSON");
        QTest::newRow("no sources") << QByteArray("{\"name\":\"x\"}") << QStringLiteral("\"sources\" array");
        QTest::newRow("source without path") << QByteArray("{\"sources\":[{}]}") << QStringLiteral("source 1");
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
