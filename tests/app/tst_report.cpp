#include "app/citations/CitationParser.h"
#include "app/citations/CitationVerifier.h"
#include "app/report/ReportWriter.h"
#include "app/session/Conversation.h"
#include "ingest/text/text_reader.h"

#include <QGuiApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using namespace m1::app;

class TestReport : public QObject {
    Q_OBJECT

    m1::ingest::source m_agreement;

    Conversation sample() {
        Conversation c;
        c.title = QStringLiteral("Liability review");
        c.systemPrompt = QStringLiteral("You are a helpful assistant.");
        c.model = {QStringLiteral("demo (tiny, random weights)"), QStringLiteral("/models/demo"), QStringLiteral("cpu"), true};
        c.sampling.seed = 18446744073709551615ull;  // survives JSON (stored as a string)
        c.sources.append({QStringLiteral("T1"), QStringLiteral("text"), QStringLiteral("docs/service-agreement.md"),
                          QString(64, QLatin1Char('a')), QString(), 512});
        Turn t;
        t.question = QStringLiteral("Which clause limits liability?\nAnd by how much?");
        t.reasoning = QStringLiteral("The agreement has a clause 5.\n```\nnot a fence breaker\n```");
        t.answer = QStringLiteral("Clause 5.1 caps it at twelve months of fees [T1 L34-35 \"shall not exceed the fees\"] "
                                  "and | pipes [T1 L2 \"no such words\"].");
        t.citations = CitationParser::parse(t.answer);
        CitationVerifier v;
        v.addSource(QStringLiteral("T1"), &m_agreement);
        v.verifyAll(t.citations);
        t.stats = {0.25, 31.5, 20, 480, 12, 30, 1.5};
        c.turns.append(t);
        c.turns.append(Turn{QStringLiteral("Follow-up?"), {}, QStringLiteral("Yes."), {}, {}});
        c.workspace = QJsonObject{{"version", 1}, {"name", "W"}, {"sources", QJsonArray{QJsonObject{{"path", "a.pdf"}}}}};
        return c;
    }

private slots:
    void initTestCase() {
        m_agreement = m1::ingest::read_text_file(M1_SOURCE_DIR "/resources/demo/docs/service-agreement.md");
    }

    void citationsAreVerifiedAgainstTheDemoAgreement() {
        const Conversation c = sample();
        QCOMPARE(c.turns[0].citations.size(), 2);
        QCOMPARE(c.turns[0].citations[0].status, Citation::Status::Verified);
        QCOMPARE(c.turns[0].citations[1].status, Citation::Status::Unverified);
    }

    void markdownHoldsEverything() {
        const QString md = ReportWriter::markdown(sample());
        for (const QString& needle :
             {QStringLiteral("# Liability review"), QStringLiteral("RANDOM WEIGHTS"), QStringLiteral("> Which clause limits liability?\n> And by how much?"),
              QStringLiteral("| 1 | T1 | lines 34-35 | \"shall not exceed the fees\" | verified |"),
              QStringLiteral("| 2 | T1 | line 2 | \"no such words\" | unverified | quote not found in T1 |"),
              QStringLiteral("seed 18446744073709551615"), QStringLiteral("````text\nThe agreement"),
              QStringLiteral("480 reused from the prefilled prefix"), QStringLiteral("- Question 1: prefix reused (480 tokens)"),
              QStringLiteral("- Question 2: prefix prefilled"), QString(64, QLatin1Char('a'))})
            QVERIFY2(md.contains(needle), qPrintable(needle));
        QVERIFY(!ReportWriter::markdown(sample(), {.includeReasoning = false}).contains(QStringLiteral("### Reasoning")));
    }

    void savedSessionsReRenderByteIdentical() {
        QTemporaryDir dir;
        const Conversation original = sample();
        QString error;
        const QString session = dir.filePath(QStringLiteral("s.m1session"));
        QVERIFY2(original.save(session, &error), qPrintable(error));
        Conversation loaded;
        QVERIFY2(loaded.load(session, &error), qPrintable(error));
        QCOMPARE(QJsonDocument(loaded.toJson()).toJson(), QJsonDocument(original.toJson()).toJson());
        QCOMPARE(loaded.workspace.value(QStringLiteral("name")).toString(), QStringLiteral("W"));  // workspace + conversation
        for (const QString ext : {QStringLiteral("md"), QStringLiteral("html")}) {
            const QString a = dir.filePath(QStringLiteral("a.") + ext), b = dir.filePath(QStringLiteral("b.") + ext);
            QVERIFY2(ReportWriter::write(original, a, {}, &error), qPrintable(error));
            QVERIFY2(ReportWriter::write(loaded, b, {}, &error), qPrintable(error));
            QFile fa(a), fb(b);
            QVERIFY(fa.open(QIODevice::ReadOnly) && fb.open(QIODevice::ReadOnly));
            const QByteArray bytes = fa.readAll();
            QVERIFY(bytes.size() > 500);
            QCOMPARE(bytes, fb.readAll());
        }
    }

    void damagedSessionFilesAreRefused_data() {
        QTest::addColumn<int>("damage");
        QTest::addColumn<QString>("message");
        QTest::newRow("cut in half") << 0 << QStringLiteral("not a complete conversation file");
        QTest::newRow("future version") << 1 << QStringLiteral("version 99 is not supported");
        QTest::newRow("other JSON") << 2 << QStringLiteral("not an M1 Studio conversation");
    }
    void damagedSessionFilesAreRefused() {
        QFETCH(int, damage);
        QFETCH(QString, message);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("s.json"));
        QByteArray bytes = QJsonDocument(sample().toJson()).toJson();
        if (damage == 0) bytes.truncate(bytes.size() / 2);
        if (damage == 1) bytes.replace("\"version\": 1", "\"version\": 99");
        if (damage == 2) bytes = "{\"sources\": []}";
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(bytes);
        f.close();
        Conversation c;
        c.title = QStringLiteral("kept");
        QString error;
        QVERIFY(!c.load(path, &error));
        QVERIFY2(error.startsWith(path) && error.contains(message), qPrintable(error));
        QCOMPARE(c.title, QStringLiteral("kept"));  // nothing already loaded is lost
    }

    void saveIsAtomic() {
        QTemporaryDir dir;
        QString error;
        QVERIFY(!sample().save(dir.filePath(QStringLiteral("missing-dir/s.json")), &error));
        QVERIFY(error.contains(QStringLiteral("cannot write")));
    }

    void pdfReportHasTheText() {
        QTemporaryDir dir;
        const QString pdf = dir.filePath(QStringLiteral("r.pdf"));
        QString error;
        QVERIFY2(ReportWriter::write(sample(), pdf, {}, &error), qPrintable(error));
        QFile f(pdf);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(f.read(5) == "%PDF-");
        const QString pdftotext = QStandardPaths::findExecutable(QStringLiteral("pdftotext"));
        if (pdftotext.isEmpty()) QSKIP("pdftotext (poppler-utils) is not installed");
        QProcess p;
        p.start(pdftotext, {pdf, QStringLiteral("-")});
        QVERIFY(p.waitForFinished(30000));
        const QString text = QString::fromUtf8(p.readAllStandardOutput()).simplified();
        QVERIFY2(text.contains(QStringLiteral("Which clause limits liability?")), qPrintable(text));
        QVERIFY(text.contains(QStringLiteral("shall not exceed the fees")));
        QVERIFY(text.contains(QStringLiteral("Manifest")));
    }

    void unknownFormatIsRefused() {
        QString error;
        QVERIFY(!ReportWriter::write(sample(), QStringLiteral("/tmp/x.docx"), {}, &error));
        QVERIFY(error.contains(QStringLiteral("unknown report format '.docx'")));
    }
};

QTEST_MAIN(TestReport)
#include "tst_report.moc"
