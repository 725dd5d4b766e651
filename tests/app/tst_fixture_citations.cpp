// Context and citations over the real ingest fixtures (tests/ingest/fixtures): a PDF written by the project, a DOCX
// contract, and a git repository read at two refs. Expected places come from how the fixtures were made (their
// generator scripts) and from pdftotext, not from the code under test.
#include "app/citations/CitationParser.h"
#include "app/citations/CitationVerifier.h"
#include "app/context/ContextBuilder.h"
#include "ingest/read_any.h"

#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>

using namespace m1::app;

namespace {

const std::string kFixtures = M1_SOURCE_DIR "/tests/ingest/fixtures";

int occurrences(const std::string& haystack, const std::string& needle) {
    int n = 0;
    for (size_t pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1)) ++n;
    return n;
}

}  // namespace

class TestFixtureCitations : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<m1::tokenizer> m_tok;
    m1::ingest::source m_pdf, m_contract, m_repoMain, m_repoV1;
    ContextResult m_context;
    CitationVerifier m_verifier;

    Citation check(const QString& answer) {
        QList<Citation> found = CitationParser::parse(answer);
        if (found.size() != 1) return {};
        m_verifier.verify(found.first());
        return found.first();
    }

private slots:
    void initTestCase() {
        namespace fs = std::filesystem;
        m_tok = m1::tokenizer::load(M1_SHARED_DIR "/models/minimax-m1/tokenizer.json");
        const fs::path repo = fs::path(m_dir.path().toStdString()) / "repo";
        fs::copy(kFixtures + "/git/repo", repo, fs::copy_options::recursive);
        fs::rename(repo / ".gitted", repo / ".git");

        m_pdf = std::move(m1::ingest::read_path(kFixtures + "/pdf/report.pdf").sources.front());
        const m1::ingest::read_result docx = m1::ingest::read_path(kFixtures + "/docx/contract.docx");
        QVERIFY(docx.contract);
        m_contract = docx.sources.front();
        m_repoMain = std::move(m1::ingest::read_path(repo.string()).sources.front());
        m1::ingest::read_options v1;
        v1.ref = "v1.0";
        m_repoV1 = std::move(m1::ingest::read_path(repo.string(), v1).sources.front());

        ContextBuilder builder(*m_tok);
        m_context = builder.build(QStringLiteral("You are a helpful assistant."),
                                  {{&m_repoMain}, {&m_contract, true}, {&m_pdf}}, {});
        QVERIFY2(m_context.fits, qPrintable(m_context.error));
        for (int i = 0; i < m_context.sources.size(); ++i) m_verifier.addSource(m_context.sources[i].tag, m_context.ordered[i]);
    }

    void contextHoldsEverySegmentOnceWithItsTag() {
        QCOMPARE(m_context.sources[0].tag, QStringLiteral("S1"));  // the PDF: most stable first
        QCOMPARE(m_context.sources[1].tag, QStringLiteral("C1"));
        QCOMPARE(m_context.sources[2].tag, QStringLiteral("R1"));
        QVERIFY(m_pdf.segments.size() >= 3);
        for (const auto& s : m_pdf.segments)
            QCOMPARE(occurrences(m_context.prefix, "[S1 p." + std::to_string(s.where.page) + "]\n" + s.text), 1);
        for (const auto& s : m_contract.segments) {
            QVERIFY(!s.where.clause.empty());
            QCOMPARE(occurrences(m_context.prefix, "[C1 \xc2\xa7" + s.where.clause + "]\n" + s.text), 1);
        }
        for (const auto& s : m_repoMain.segments) {
            const std::string anchor = "[R1 " + s.where.file + ":" + std::to_string(s.where.line_start) + "-" +
                                       std::to_string(s.where.line_end) + "]\n";
            QCOMPARE(occurrences(m_context.prefix, anchor), 1);
        }
        // The repository's default exclusions hold in the context too.
        QCOMPARE(occurrences(m_context.prefix, "vendored(void)"), 0);
        QCOMPARE(occurrences(m_context.prefix, "[R1 data/big.txt"), 0);
    }

    void tokenTotalsAgreeWithTheTokenizer() {
        QCOMPARE(m_context.totalTokens, qint64(m_tok->count(m_context.prefix)));
        qint64 sum = 0;
        for (const auto& s : m_context.sources) sum += s.tokens;
        QVERIFY(sum < m_context.totalTokens && m_context.totalTokens - sum < 400);
    }

    void overBudgetNamesEverySource() {
        ContextBuilder builder(*m_tok);
        const ContextResult r = builder.build(QStringLiteral("You are a helpful assistant."),
                                              {{&m_repoMain}, {&m_contract, true}, {&m_pdf}},
                                              {m_context.totalTokens + 10, 11});
        QVERIFY(!r.fits);
        for (const QString& tag : {QStringLiteral("S1"), QStringLiteral("C1"), QStringLiteral("R1")})
            QVERIFY2(r.error.contains(QStringLiteral("\n  %1").arg(tag)), qPrintable(r.error));
    }

    void citationsAgainstTheFixtures_data() {
        QTest::addColumn<QString>("answer");
        QTest::addColumn<QString>("status");
        QTest::addColumn<QString>("note");
        // PDF (pdftotext: the heading "1.1 Why anchors matter" is on page 1; the two-column section on page 2).
        QTest::newRow("pdf page") << "[S1 p.1 \"Why anchors matter\"]" << "verified" << "";
        QTest::newRow("pdf mis-paged") << "[S1 p.2 \"Why anchors matter\"]" << "unverified" << "but at p.1";
        QTest::newRow("pdf absent") << "[S1 p.1 \"anchors do not matter at all\"]" << "unverified" << "not found";
        QTest::newRow("pdf no such page") << "[S1 p.99 \"x\"]" << "unresolvable" << "no page 99";
        // Contract (make_docx.py: 3.1 holds the term dates; 1.1 defines Deliverables; "Article IV" stands alone).
        QTest::newRow("clause") << "[C1 \u00a73.1 \"ends on June 30, 2025\"]" << "verified" << "";
        QTest::newRow("defined term") << "[C1 \u00a71.1 \"means all documents and reports\"]" << "verified" << "";
        QTest::newRow("clause wrong") << "[C1 \u00a71.2 \"ends on June 30, 2025\"]" << "unverified" << "but at \u00a73.1";
        QTest::newRow("article") << "[C1 Article IV \"creates a partnership\"]" << "verified" << "";
        QTest::newRow("no clause") << "[C1 \u00a79.9 \"x\"]" << "unresolvable" << "no clause 9.9";
        // Repository at main (make_git_repo.py: a 3-line licence header, then 7 comment lines, #include, blank,
        // int main() {, the puts call on line 14).
        QTest::newRow("code line") << "[R1 src/main.cpp:14 \"hello from the fixture\"]" << "verified" << "";
        QTest::newRow("code range split across lines") << "[R1 src/main.cpp:13-15 \"int main() { std::puts(\"]" << "verified" << "";
        QTest::newRow("code wrong lines") << "[R1 src/main.cpp:1-3 \"hello from the fixture\"]" << "unverified" << "src/main.cpp:";
        QTest::newRow("code past the end") << "[R1 src/main.cpp:40-41 \"x\"]" << "unresolvable" << "has 16 lines";
        QTest::newRow("excluded file") << "[R1 vendor/lib/vendored.c:1 \"vendored\"]" << "unresolvable" << "no file";
    }
    void citationsAgainstTheFixtures() {
        QFETCH(QString, answer);
        QFETCH(QString, status);
        QFETCH(QString, note);
        const Citation c = check(answer);
        QVERIFY2(!c.tag.isEmpty(), qPrintable(answer));
        QCOMPARE(statusName(c.status), status);
        QVERIFY2(c.note.contains(note), qPrintable(c.note));
    }

    void theSameCitationAtAnotherRef() {
        // At v1.0 main.cpp has no licence header: the puts call is on line 11 and the file ends at line 13.
        CitationVerifier v1;
        v1.addSource(QStringLiteral("R1"), &m_repoV1);
        Citation c = CitationParser::parse(QStringLiteral("[R1 src/main.cpp:14 \"hello from the fixture\"]")).first();
        v1.verify(c);
        QCOMPARE(c.status, Citation::Status::Unresolvable);
        c = CitationParser::parse(QStringLiteral("[R1 src/main.cpp:11 \"hello from the fixture\"]")).first();
        v1.verify(c);
        QCOMPARE(c.status, Citation::Status::Verified);
    }
};

QTEST_GUILESS_MAIN(TestFixtureCitations)
#include "tst_fixture_citations.moc"
