// `m1 ingest` end to end through QProcess (the real executable): the JSON contract of product.md, token totals,
// anchors per source kind, and each bad input's message and exit status, without a crash.
#include <QCryptographicHash>
#include <QDirIterator>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include "tests/common/m1_process.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

namespace {


QString tokenizerPath() { return m1test::m1TokenizerPath(); }
QString fixture(const char* rel) { return QStringLiteral(M1_SOURCE_DIR "/tests/ingest/fixtures/") + rel; }

m1test::M1Run ingest(const QStringList& args, QProcessEnvironment env = QProcessEnvironment::systemEnvironment()) {
    env.remove(QStringLiteral("M1_TOKENIZER"));
    return m1test::runM1(QStringList{QStringLiteral("ingest")} + args, env);
}

// A checked-out copy of the fixture repository.
bool makeRepo(const QString& repo) {
    const QString from = QStringLiteral(M1_SOURCE_DIR "/tests/ingest/fixtures/git/repo/.gitted");
    QDirIterator it(from, QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString src = it.next();
        const QString dst = repo + QStringLiteral("/.git") + src.mid(from.size());
        if (it.fileInfo().isDir() ? !QDir().mkpath(dst) : (!QDir().mkpath(QFileInfo(dst).path()) || !QFile::copy(src, dst)))
            return false;
    }
    return true;
}

QJsonObject sourceNamed(const QJsonArray& sources, const QString& kind, const QString& pathSuffix) {
    for (const QJsonValue& v : sources) {
        const QJsonObject o = v.toObject();
        if (o[QStringLiteral("kind")].toString() == kind && o[QStringLiteral("path")].toString().endsWith(pathSuffix)) return o;
    }
    return {};
}

}  // namespace

class TestIngestCli : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() {
        if (!QFile::exists(tokenizerPath())) QSKIP("the MiniMax-M1 tokenizer is not in the shared folder");
    }

    void jsonContractAndTokenTotals() {
        QTemporaryDir dir;
        const QString repo = dir.path() + QStringLiteral("/repo");
        QVERIFY(makeRepo(repo));
        const m1test::M1Run r = ingest({QStringLiteral("--tokenizer"), tokenizerPath(), QStringLiteral("--json"), QStringLiteral("--ref"),
                              QStringLiteral("v1.0"), QStringLiteral("--history"), QStringLiteral("2"),
                              fixture("pdf/report.pdf"), fixture("docx/contract.docx"), fixture("make_pdfs.py"), repo});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QJsonParseError perr;
        const QJsonDocument doc = QJsonDocument::fromJson(r.out.toUtf8(), &perr);
        QVERIFY2(perr.error == QJsonParseError::NoError, qPrintable(perr.errorString()));
        const QJsonArray sources = doc[QStringLiteral("sources")].toArray();
        QCOMPARE(sources.size(), 5);  // pdf, docx, text, git files, git history
        qint64 total = 0;
        for (const QJsonValue& v : sources) {
            const QJsonObject s = v.toObject();
            qint64 sum = 0;
            for (const QJsonValue& seg : s[QStringLiteral("segments")].toArray()) {
                const QJsonObject o = seg.toObject();
                QVERIFY(o.contains(QStringLiteral("text")));
                const qint64 t = o[QStringLiteral("tokens")].toInteger(-1);
                QVERIFY(t > 0);
                sum += t;
            }
            QCOMPARE(s[QStringLiteral("tokens")].toInteger(), sum);  // source total == sum over its segments
            QVERIFY(sum > 0);
            total += sum;
        }
        QCOMPARE(doc[QStringLiteral("total_tokens")].toInteger(), total);  // document total == sum over sources

        const QJsonObject pdf = sourceNamed(sources, QStringLiteral("pdf"), QStringLiteral("report.pdf"));
        for (const QJsonValue& seg : pdf[QStringLiteral("segments")].toArray())
            QVERIFY(seg.toObject()[QStringLiteral("page")].toInt() >= 1);
        QCOMPARE(pdf[QStringLiteral("pages")].toArray().size(), 4);
        QCOMPARE(pdf[QStringLiteral("outline")].toArray().size(), 4);

        const QJsonObject docx = sourceNamed(sources, QStringLiteral("docx"), QStringLiteral("contract.docx"));
        QStringList clauses;
        for (const QJsonValue& seg : docx[QStringLiteral("segments")].toArray())
            clauses << seg.toObject()[QStringLiteral("clause")].toString();
        QVERIFY2(clauses.contains(QStringLiteral("2.1(a)")) && clauses.contains(QStringLiteral("Article IV")),
                 qPrintable(clauses.join(',')));
        QCOMPARE(docx[QStringLiteral("terms")].toArray().size(), 6);

        const QJsonObject text = sourceNamed(sources, QStringLiteral("text"), QStringLiteral("make_pdfs.py"));
        QCOMPARE(text[QStringLiteral("segments")].toArray().first().toObject()[QStringLiteral("line_start")].toInt(), 1);

        const QJsonObject git = sourceNamed(sources, QStringLiteral("git"), QStringLiteral("repo"));
        const QJsonArray gitSegs = git[QStringLiteral("segments")].toArray();
        QVERIFY(!gitSegs.isEmpty());
        const QString commit = git[QStringLiteral("commit")].toString();
        QCOMPARE(commit.size(), 40);
        for (const QJsonValue& seg : gitSegs) {
            const QJsonObject o = seg.toObject();
            QVERIFY(!o[QStringLiteral("file")].toString().isEmpty());
            QVERIFY(o[QStringLiteral("line_start")].toInt() >= 1);
            QVERIFY(o[QStringLiteral("line_end")].toInt() >= o[QStringLiteral("line_start")].toInt());
            QCOMPARE(o[QStringLiteral("commit")].toString(), commit);
        }
        // Per-folder tokens: the root equals the source total.
        QCOMPARE(git[QStringLiteral("folders")].toObject()[QStringLiteral(".")].toInteger(), git[QStringLiteral("tokens")].toInteger());
        int histories = 0;
        for (const QJsonValue& v : sources)
            histories += v.toObject()[QStringLiteral("title")].toString() == QStringLiteral("repo history");
        QCOMPARE(histories, 1);
    }

    // Every segment's token count equals Hugging Face tokenizers' count of the same text
    // (tests/reference/ingest: dump_segments.sh wrote the texts, make_token_counts.py counted them).
    void tokenCountsMatchHuggingFace() {
        QFile golden(QStringLiteral(M1_SOURCE_DIR "/tests/reference/ingest/token_counts.json"));
        QVERIFY(golden.open(QIODevice::ReadOnly));
        const QJsonArray expected = QJsonDocument::fromJson(golden.readAll())[QStringLiteral("segments")].toArray();
        QTemporaryDir dir;
        QVERIFY(makeRepo(dir.path()));
        // The same paths and flags as dump_segments.sh.
        const m1test::M1Run r = ingest({QStringLiteral("--json"), QStringLiteral("--tokenizer"), tokenizerPath(), QStringLiteral("--ref"),
                              QStringLiteral("v1.0"), QStringLiteral("--history"), QStringLiteral("0"),
                              fixture("pdf/report.pdf"), fixture("pdf/contract.pdf"), fixture("docx/contract.docx"),
                              dir.path()});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QJsonArray ours;
        for (const QJsonValue& s : QJsonDocument::fromJson(r.out.toUtf8())[QStringLiteral("sources")].toArray())
            for (const QJsonValue& seg : s.toObject()[QStringLiteral("segments")].toArray()) ours.append(seg);
        QCOMPARE(ours.size(), expected.size());
        for (int i = 0; i < ours.size(); ++i) {
            const QJsonObject o = ours[i].toObject(), e = expected[i].toObject();
            const QByteArray sha = QCryptographicHash::hash(o[QStringLiteral("text")].toString().toUtf8(),
                                                            QCryptographicHash::Sha256).toHex();
            QVERIFY2(sha == e[QStringLiteral("sha256")].toString().toLatin1(),
                     qPrintable(QStringLiteral("segment %1 changed; rerun tests/reference/ingest/dump_segments.sh and "
                                               "make_token_counts.py").arg(i)));
            QCOMPARE(o[QStringLiteral("tokens")].toInteger(), e[QStringLiteral("tokens")].toInteger());
        }
    }

    void tokenizerComesFromTheEnvironment() {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        QProcess p;
        env.insert(QStringLiteral("M1_TOKENIZER"), tokenizerPath());
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(M1_CLI), {QStringLiteral("ingest"), fixture("pdf/contract.pdf")});
        QVERIFY(p.waitForFinished(120000));
        QCOMPARE(p.exitCode(), 0);
        QVERIFY(QString::fromUtf8(p.readAllStandardOutput()).contains(QStringLiteral("total: ")));
    }

    void missingTokenizerNamesBothWays() {
        const m1test::M1Run r = ingest({fixture("pdf/report.pdf")});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(QStringLiteral("--tokenizer")) && r.err.contains(QStringLiteral("M1_TOKENIZER")), qPrintable(r.err));
    }

    void badInputsFailButOthersAreReported_data() {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("message");
        QTest::newRow("encrypted") << fixture("pdf/encrypted.pdf") << QStringLiteral(": encrypted; pass --password");
        QTest::newRow("truncated") << fixture("pdf/truncated.pdf") << QStringLiteral(": damaged or truncated PDF");
        QTest::newRow("empty pdf") << fixture("pdf/empty.pdf") << QStringLiteral(": empty file, not a PDF");
        QTest::newRow("docx not zip") << fixture("docx/notazip.docx") << QStringLiteral(": not a DOCX file (not a zip archive");
        QTest::newRow("missing") << QStringLiteral("/nonexistent/file.txt") << QStringLiteral(": cannot open the file");
        QTest::newRow("missing docx") << QStringLiteral("/nonexistent/c.docx") << QStringLiteral(": cannot open the file");
    }
    void badInputsFailButOthersAreReported() {
        QFETCH(QString, path);
        QFETCH(QString, message);
        const m1test::M1Run r = ingest({QStringLiteral("--tokenizer"), tokenizerPath(), QStringLiteral("--json"), path,
                              fixture("pdf/contract.pdf")});
        QVERIFY(!r.crashed);
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(QStringLiteral("m1 ingest: ") + path + message), qPrintable(r.err));
        const QJsonDocument doc = QJsonDocument::fromJson(r.out.toUtf8());
        QCOMPARE(doc[QStringLiteral("sources")].toArray().size(), 1);  // the good file is still there
        QCOMPARE(doc[QStringLiteral("errors")].toArray().first().toObject()[QStringLiteral("path")].toString(), path);
    }

    void badRefAndBadTokenizer() {
        QTemporaryDir dir;
        const QString repo = dir.path() + QStringLiteral("/repo");
        QVERIFY(makeRepo(repo));
        m1test::M1Run r = ingest({QStringLiteral("--tokenizer"), tokenizerPath(), QStringLiteral("--ref"), QStringLiteral("nope"), repo});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(repo + QStringLiteral(": no branch, tag or commit named 'nope'")), qPrintable(r.err));
        r = ingest({QStringLiteral("--tokenizer"), fixture("make_pdfs.py"), repo});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(fixture("make_pdfs.py")), qPrintable(r.err));
        r = ingest({QStringLiteral("--tokenizer"), tokenizerPath()});
        QCOMPARE(r.code, 2);
    }

    void passwordAndContractFlags() {
        const m1test::M1Run r = ingest({QStringLiteral("--tokenizer"), tokenizerPath(), QStringLiteral("--json"), QStringLiteral("--password"),
                              QStringLiteral("m1-user"), QStringLiteral("--contract"), fixture("pdf/encrypted.pdf"),
                              fixture("pdf/contract.pdf")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QJsonArray sources = QJsonDocument::fromJson(r.out.toUtf8())[QStringLiteral("sources")].toArray();
        QCOMPARE(sources.size(), 2);
        const QJsonObject contract = sourceNamed(sources, QStringLiteral("pdf"), QStringLiteral("contract.pdf"));
        const QJsonObject first = contract[QStringLiteral("segments")].toArray().at(1).toObject();
        QCOMPARE(first[QStringLiteral("clause")].toString(), QStringLiteral("Article I"));
        QCOMPARE(first[QStringLiteral("page")].toInt(), 1);
    }
};

QTEST_GUILESS_MAIN(TestIngestCli)
#include "tst_ingest_cli.moc"
