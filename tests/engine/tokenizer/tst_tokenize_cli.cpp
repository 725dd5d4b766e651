// `m1 tokenize` end to end through QProcess: the ids line (against HF's golden ids), --file, and the errors.
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

namespace {

const QString k_reference = QStringLiteral(M1_SOURCE_DIR "/tests/reference/tokenizer");

QString tokenizerPath() {
    const QByteArray env = qgetenv("M1_SHARED_DIR");
    const QString shared = env.isEmpty() ? QStringLiteral(M1_SHARED_DIR) : QString::fromLocal8Bit(env);
    return shared + QStringLiteral("/models/minimax-m1/tokenizer.json");
}

struct Run {
    int code = -1;
    QByteArray out, err;
};

Run runM1(const QStringList& args) {
    QProcess p;
    p.start(QStringLiteral(M1_CLI), args);
    Run r;
    if (!p.waitForFinished(60000)) return r;
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

QByteArray idsLine(const QJsonArray& ids) {
    QByteArrayList parts;
    for (const auto& v : ids) parts << QByteArray::number(v.toInt());
    return parts.join(' ') + '\n';
}

QJsonArray probeIds(const QString& text) {
    QFile f(k_reference + QStringLiteral("/golden/golden.json"));
    if (!f.open(QIODevice::ReadOnly)) return {};
    for (const auto& v : QJsonDocument::fromJson(f.readAll()).object().value(QStringLiteral("probes")).toArray())
        if (v.toObject().value(QStringLiteral("text")).toString() == text) return v.toObject().value(QStringLiteral("ids")).toArray();
    return {};
}

}  // namespace

class TestTokenizeCli : public QObject {
    Q_OBJECT

private slots:
    void textGivesTheGoldenIds() {
        const QString text = QStringLiteral("<beginning_of_sentence>user name=user\n");
        const QJsonArray want = probeIds(text);
        QVERIFY(!want.isEmpty());
        const Run r = runM1({QStringLiteral("tokenize"), QStringLiteral("--tokenizer"), tokenizerPath(), QStringLiteral("--text"), text});
        QVERIFY2(r.code == 0, r.err.constData());
        QCOMPARE(r.out, idsLine(want));
        QCOMPARE(r.out, QByteArray("200019 3995 1925 133646 10\n"));  // spec §6
    }

    void fileIsReadAsBytes() {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("in.txt"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("Hello, world! 12345 d\xC3\xA9j\xC3\xA0 vu");
        f.close();
        const Run r = runM1({QStringLiteral("tokenize"), QStringLiteral("--tokenizer"), tokenizerPath(), QStringLiteral("--file"), path});
        QVERIFY2(r.code == 0, r.err.constData());
        QCOMPARE(r.out, idsLine(probeIds(QStringLiteral("Hello, world! 12345 d\u00e9j\u00e0 vu"))));

        // A whole corpus file, compared with HF's ids.
        const Run c = runM1({QStringLiteral("tokenize"), QStringLiteral("--tokenizer"), tokenizerPath(), QStringLiteral("--file"),
                             k_reference + QStringLiteral("/corpus/special.txt")});
        QCOMPARE(c.code, 0);
        QFile golden(k_reference + QStringLiteral("/golden/special.ids"));
        QVERIFY(golden.open(QIODevice::ReadOnly));
        const QByteArray raw = golden.readAll();
        QByteArrayList parts;
        for (qsizetype i = 0; i + 4 <= raw.size(); i += 4) {
            const auto* p = reinterpret_cast<const unsigned char*>(raw.constData()) + i;
            parts << QByteArray::number(qint32(uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24));
        }
        QCOMPARE(c.out, parts.join(' ') + '\n');
    }

    void emptyTextIsAnEmptyLine() {
        const Run r = runM1({QStringLiteral("tokenize"), QStringLiteral("--tokenizer"), tokenizerPath(), QStringLiteral("--text"), QString()});
        QCOMPARE(r.code, 0);
        QCOMPARE(r.out, QByteArray("\n"));
    }

    void usageErrors() {
        Run r = runM1({QStringLiteral("tokenize"), QStringLiteral("--text"), QStringLiteral("x")});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains("--tokenizer"), r.err.constData());
        r = runM1({QStringLiteral("tokenize"), QStringLiteral("--tokenizer"), tokenizerPath()});
        QCOMPARE(r.code, 2);
        r = runM1({QStringLiteral("tokenize"), QStringLiteral("--tokenizer"), tokenizerPath(), QStringLiteral("--text"),
                   QStringLiteral("x"), QStringLiteral("--file"), QStringLiteral("y")});
        QCOMPARE(r.code, 2);
        r = runM1({QStringLiteral("tokenize"), QStringLiteral("--help")});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.startsWith("usage: m1 tokenize"));
    }

    void workErrorsNameTheFile() {
        QTemporaryDir dir;
        const QString bad = dir.filePath(QStringLiteral("wordpiece.json"));
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"[UNK]\": 0}}}");
        f.close();
        Run r = runM1({QStringLiteral("tokenize"), QStringLiteral("--tokenizer"), bad, QStringLiteral("--text"), QStringLiteral("x")});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.startsWith("m1 tokenize: " + bad.toUtf8() + ": model type \"WordPiece\" is not supported"), r.err.constData());
        QVERIFY(r.out.isEmpty());

        r = runM1({QStringLiteral("tokenize"), QStringLiteral("--tokenizer"), tokenizerPath(), QStringLiteral("--file"),
                   dir.filePath(QStringLiteral("missing.txt"))});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("missing.txt: cannot open the file"), r.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestTokenizeCli)
#include "tst_tokenize_cli.moc"
