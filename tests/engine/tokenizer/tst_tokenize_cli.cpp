// `m1 tokenize` end to end through QProcess: the ids line (against HF's golden ids), --file, and the errors.
#include "tests/common/m1_process.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

namespace {

const QString k_reference = QStringLiteral(M1_SOURCE_DIR "/tests/reference/tokenizer");

using m1test::runM1;

QString tokenizerPath() { return m1test::m1TokenizerPath(); }

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
        const m1test::M1Run r = runM1({QStringLiteral("tokenize"), QStringLiteral("--tokenizer"), tokenizerPath(), QStringLiteral("--text"), text});
        QVERIFY2(r.code == 0, r.errBytes.constData());
        QCOMPARE(r.outBytes, idsLine(want));
        QCOMPARE(r.outBytes, QByteArray("200019 3995 1925 133646 10\n"));  // spec §6
    }

    void fileIsReadAsBytes() {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("in.txt"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("Hello, world! 12345 d\xC3\xA9j\xC3\xA0 vu");
        f.close();
        const m1test::M1Run r = runM1({QStringLiteral("tokenize"), QStringLiteral("--tokenizer"), tokenizerPath(), QStringLiteral("--file"), path});
        QVERIFY2(r.code == 0, r.errBytes.constData());
        QCOMPARE(r.outBytes, idsLine(probeIds(QStringLiteral("Hello, world! 12345 d\u00e9j\u00e0 vu"))));

        // A whole corpus file, compared with HF's ids.
        const m1test::M1Run c = runM1({QStringLiteral("tokenize"), QStringLiteral("--tokenizer"), tokenizerPath(), QStringLiteral("--file"),
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
        QCOMPARE(c.outBytes, parts.join(' ') + '\n');
    }

    void emptyTextIsAnEmptyLine() {
        const m1test::M1Run r = runM1({QStringLiteral("tokenize"), QStringLiteral("--tokenizer"), tokenizerPath(), QStringLiteral("--text"), QString()});
        QCOMPARE(r.code, 0);
        QCOMPARE(r.outBytes, QByteArray("\n"));
    }

    void usageErrors() {
        m1test::M1Run r = runM1({QStringLiteral("tokenize"), QStringLiteral("--text"), QStringLiteral("x")});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.errBytes.contains("--tokenizer"), r.errBytes.constData());
        r = runM1({QStringLiteral("tokenize"), QStringLiteral("--tokenizer"), tokenizerPath()});
        QCOMPARE(r.code, 2);
        r = runM1({QStringLiteral("tokenize"), QStringLiteral("--tokenizer"), tokenizerPath(), QStringLiteral("--text"),
                   QStringLiteral("x"), QStringLiteral("--file"), QStringLiteral("y")});
        QCOMPARE(r.code, 2);
        r = runM1({QStringLiteral("tokenize"), QStringLiteral("--help")});
        QCOMPARE(r.code, 0);
        QVERIFY(r.outBytes.startsWith("usage: m1 tokenize"));
    }

    void workErrorsNameTheFile() {
        QTemporaryDir dir;
        const QString bad = dir.filePath(QStringLiteral("wordpiece.json"));
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("{\"model\": {\"type\": \"WordPiece\", \"vocab\": {\"[UNK]\": 0}}}");
        f.close();
        m1test::M1Run r = runM1({QStringLiteral("tokenize"), QStringLiteral("--tokenizer"), bad, QStringLiteral("--text"), QStringLiteral("x")});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.errBytes.startsWith("m1 tokenize: " + bad.toUtf8() + ": model type \"WordPiece\" is not supported"), r.errBytes.constData());
        QVERIFY(r.outBytes.isEmpty());

        r = runM1({QStringLiteral("tokenize"), QStringLiteral("--tokenizer"), tokenizerPath(), QStringLiteral("--file"),
                   dir.filePath(QStringLiteral("missing.txt"))});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.errBytes.contains("missing.txt: cannot open the file"), r.errBytes.constData());
    }
};

QTEST_GUILESS_MAIN(TestTokenizeCli)
#include "tst_tokenize_cli.moc"
