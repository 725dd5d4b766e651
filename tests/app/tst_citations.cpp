#include "app/citations/CitationParser.h"
#include "app/citations/CitationVerifier.h"
#include "ingest/text/text_reader.h"

#include <QtTest>

using m1::app::Citation;
using m1::app::CitationParser;
using m1::app::CitationVerifier;

namespace {

m1::ingest::segment pageSegment(int page, const char* text) {
    m1::ingest::segment s;
    s.where.page = page;
    s.text = text;
    return s;
}

m1::ingest::segment clauseSegment(const char* clause, const char* text) {
    m1::ingest::segment s;
    s.where.clause = clause;
    s.text = text;
    return s;
}

}  // namespace

class TestCitations : public QObject {
    Q_OBJECT

    m1::ingest::source m_pdf, m_contract, m_repo, m_text;
    CitationVerifier m_verifier;

    Citation verified(const QString& answer) {
        const QList<Citation> found = CitationParser::parse(answer);
        if (found.size() != 1) return {};
        Citation c = found.first();
        m_verifier.verify(c);
        return c;
    }

private slots:
    void initTestCase() {
        m_pdf.kind = m1::ingest::source_kind::pdf;
        m_pdf.segments = {pageSegment(1, "MiniMax-M1 is a hybrid mixture-of-experts model."),
                          pageSegment(2, "Lightning attention scales linearly with the se-\nquence length of the input."),
                          pageSegment(3, "The model supports a context of one million tokens.")};
        m_contract.kind = m1::ingest::source_kind::docx;
        m_contract.segments = {clauseSegment("1.1", "\"Services\" means the review services in Schedule 1."),
                               clauseSegment("12.3(a)", "The Supplier\u2019s total liability shall not exceed the fees."),
                               clauseSegment("Article IV", "Each party keeps the other\u2019s information secret.")};
        m_repo.kind = m1::ingest::source_kind::git;
        m_repo.segments = m1::ingest::split_lines("int main() {\n  int x = 1;\n  return x + 41;\n}\n", "src/main.c",
                                                  {.min_lines = 2, .max_lines = 2});
        const auto more = m1::ingest::split_lines("#pragma once\nint answer();\n", "include/answer.h");
        m_repo.segments.insert(m_repo.segments.end(), more.begin(), more.end());
        m_text.kind = m1::ingest::source_kind::text;
        m_text.segments = m1::ingest::split_lines("alpha line\nbeta line\ngamma line\n", "notes.md");
        m_verifier.addSource(QStringLiteral("S1"), &m_pdf);
        m_verifier.addSource(QStringLiteral("C1"), &m_contract);
        m_verifier.addSource(QStringLiteral("R1"), &m_repo);
        m_verifier.addSource(QStringLiteral("T1"), &m_text);
    }

    void parsesEveryLocationForm_data() {
        QTest::addColumn<QString>("answer");
        QTest::addColumn<QString>("tag");
        QTest::addColumn<int>("location");
        QTest::addColumn<QString>("detail");
        QTest::addColumn<QString>("quote");
        QTest::newRow("page") << "It is hybrid [S1 p.1 \"hybrid mixture\"]." << "S1" << 0 << "1-1" << "hybrid mixture";
        QTest::newRow("page range, curly") << "[S12 pp.3-4: \u201cone million\u201d]" << "S12" << 0 << "3-4" << "one million";
        QTest::newRow("file lines") << "see [R1 src/io.c:120-134 \"read(fd\"]" << "R1" << 1 << "src/io.c:120-134" << "read(fd";
        QTest::newRow("file one line") << "[R2 a/b:c.py:7]" << "R2" << 1 << "a/b:c.py:7-7" << "";
        QTest::newRow("clause") << "[C1 \u00a712.3(a) \"total liability\"]" << "C1" << 2 << "12.3(a)" << "total liability";
        QTest::newRow("article") << "[C1 Article IV]" << "C1" << 2 << "Article IV" << "";
        QTest::newRow("text lines") << "[T1 L2-3 \"beta\"]" << "T1" << 1 << ":2-3" << "beta";
    }
    void parsesEveryLocationForm() {
        QFETCH(QString, answer);
        QFETCH(QString, tag);
        QFETCH(int, location);
        QFETCH(QString, detail);
        QFETCH(QString, quote);
        const QList<Citation> found = CitationParser::parse(answer);
        QCOMPARE(found.size(), 1);
        const Citation& c = found.first();
        QCOMPARE(c.tag, tag);
        QCOMPARE(int(c.location), location);
        QCOMPARE(c.quote, quote);
        QCOMPARE(answer.mid(c.offset, c.length), c.raw);
        if (c.location == Citation::Location::Page)
            QCOMPARE(QStringLiteral("%1-%2").arg(c.pageFirst).arg(c.pageLast), detail);
        else if (c.location == Citation::Location::Lines)
            QCOMPARE(QStringLiteral("%1:%2-%3").arg(c.file).arg(c.lineFirst).arg(c.lineLast), detail);
        else
            QCOMPARE(c.clause, detail);
    }

    void ignoresBracketsThatAreNotCitations() {
        const QString answer = QStringLiteral("a[i] = b[S1]; [link](http://x) [X1 p.2] [S1 p.0] [S1 somewhere] [R1 f.c:9-3]");
        QCOMPARE(CitationParser::parse(answer).size(), 0);
    }

    void streamsAcrossDeltasAtEveryCut() {
        const QString answer = QStringLiteral("First [S1 p.2 \"linearly\"] then [R1 src/main.c:2-3 \"return x\"] end [T1 L1");
        for (int cut = 0; cut <= answer.size(); ++cut) {
            CitationParser parser;
            QList<Citation> all = parser.feed(answer.left(cut));
            all += parser.feed(answer.mid(cut));
            QCOMPARE(all.size(), 2);
            QCOMPARE(all[0].raw, QStringLiteral("[S1 p.2 \"linearly\"]"));
            QCOMPARE(all[1].offset, answer.indexOf(QStringLiteral("[R1")));
        }
    }

    void verifiesEachAnchorKind_data() {
        QTest::addColumn<QString>("answer");
        QTest::addColumn<QString>("status");
        QTest::addColumn<QString>("note");
        // pages
        QTest::newRow("page verified") << "[S1 p.3 \"one million tokens\"]" << "verified" << "";
        QTest::newRow("page quote split across lines and hyphenated")
            << "[S1 p.2 \"scales linearly with the sequence length\"]" << "verified" << "";
        QTest::newRow("page case and spacing") << "[S1 p.1 \"HYBRID   Mixture-of-Experts\"]" << "verified" << "";
        QTest::newRow("page small edit") << "[S1 p.3 \"supports a contex of one million\"]" << "verified" << "approximate";
        QTest::newRow("page mis-paged") << "[S1 p.1 \"one million tokens\"]" << "unverified" << "but at p.3";
        QTest::newRow("page absent quote") << "[S1 p.2 \"quadratic in the sequence\"]" << "unverified" << "not found";
        QTest::newRow("page out of range") << "[S1 p.9 \"x\"]" << "unresolvable" << "no page 9 in S1 (3 pages)";
        QTest::newRow("page range") << "[S1 pp.2-3 \"million\"]" << "verified" << "";
        // clauses
        QTest::newRow("clause verified, curly apostrophe") << "[C1 \u00a712.3(a) \"Supplier's total liability\"]" << "verified" << "";
        QTest::newRow("clause parent covers sub-clause") << "[C1 \u00a712 \"shall not exceed\"]" << "verified" << "";
        QTest::newRow("article") << "[C1 Article IV \"keeps the other\u2019s information\"]" << "verified" << "";
        QTest::newRow("clause wrong") << "[C1 \u00a71.1 \"shall not exceed the fees\"]" << "unverified" << "but at \u00a712.3(a)";
        QTest::newRow("clause missing") << "[C1 \u00a79 \"anything\"]" << "unresolvable" << "no clause 9 in C1";
        // repository lines
        QTest::newRow("lines verified across segments") << "[R1 src/main.c:2-3 \"int x = 1; return x + 41;\"]" << "verified" << "";
        QTest::newRow("lines wrong range") << "[R1 src/main.c:1-1 \"return x + 41\"]" << "unverified" << "src/main.c:3-4";
        QTest::newRow("lines past end") << "[R1 src/main.c:3-12 \"x\"]" << "unresolvable" << "has 4 lines";
        QTest::newRow("unknown file") << "[R1 src/other.c:1 \"x\"]" << "unresolvable" << "no file src/other.c";
        QTest::newRow("second file") << "[R1 ./include/answer.h:2 \"int answer()\"]" << "verified" << "";
        // single text file, unknown tag, missing quote
        QTest::newRow("text lines") << "[T1 L2 \"beta line\"]" << "verified" << "";
        QTest::newRow("unknown tag") << "[S7 p.1 \"x\"]" << "unresolvable" << "no source tagged S7";
        QTest::newRow("no quote") << "[S1 p.1]" << "unverified" << "no quote";
    }
    void verifiesEachAnchorKind() {
        QFETCH(QString, answer);
        QFETCH(QString, status);
        QFETCH(QString, note);
        const Citation c = verified(answer);
        QVERIFY2(!c.tag.isEmpty(), qPrintable(answer));
        QCOMPARE(m1::app::statusName(c.status), status);
        QVERIFY2(c.note.contains(note), qPrintable(c.note));
    }

    void approximateDistanceIsEditDistanceToBestSubstring() {
        QCOMPARE(CitationVerifier::approximateDistance(QStringLiteral("abc"), QStringLiteral("xxabcxx")), 0);
        QCOMPARE(CitationVerifier::approximateDistance(QStringLiteral("abc"), QStringLiteral("xxabxx")), 1);
        QCOMPARE(CitationVerifier::approximateDistance(QStringLiteral("kitten"), QStringLiteral("sitting")), 2);
        QCOMPARE(CitationVerifier::approximateDistance(QStringLiteral("abc"), QString()), 3);
    }

    void citedTextIsTheCitedPlace() {
        Citation c = CitationParser::parse(QStringLiteral("[R1 src/main.c:2-3]")).first();
        QCOMPARE(m_verifier.citedText(c), QStringLiteral("  int x = 1;\n  return x + 41;\n"));
    }
};

QTEST_GUILESS_MAIN(TestCitations)
#include "tst_citations.moc"
