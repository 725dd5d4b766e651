// Contracts: the DOCX reader (tests/ingest/fixtures/make_docx.py) and PDF contracts (make_pdfs.py contract.pdf) cut
// into clauses, with defined terms, parties and dates. Expected values are read off the generators' text.
#include "ingest/contract/clause_segmenter.h"
#include "ingest/docx/docx_reader.h"
#include "ingest/pdf/pdf_reader.h"

#include <QtTest>

using namespace m1::ingest;

namespace {

QString fixture(const char* rel) { return QStringLiteral(M1_SOURCE_DIR "/tests/ingest/fixtures/") + rel; }

std::vector<std::string> labels(const source& src) {
    std::vector<std::string> out;
    for (const segment& s : src.segments) out.push_back(s.where.clause);
    return out;
}

const segment* clause(const source& src, const std::string& label, int page = -1) {
    for (const segment& s : src.segments)
        if (s.where.clause == label && (page < 0 || s.where.page == page)) return &s;
    return nullptr;
}

const defined_term* term(const source& src, const std::string& name) {
    for (const defined_term& t : src.terms)
        if (t.term == name) return &t;
    return nullptr;
}

QString docxError(const QString& file) {
    try {
        read_docx(file.toStdString());
    } catch (const ingest_error& e) {
        return QString::fromUtf8(e.what());
    }
    return QString();
}

}  // namespace

class TestContract : public QObject {
    Q_OBJECT
private slots:
    void clauseLabelsAsWritten_data() {
        QTest::addColumn<QString>("paragraph");
        QTest::addColumn<QString>("label");
        QTest::newRow("top") << "1. Definitions" << "1";
        QTest::newRow("two levels") << "1.1 The Supplier shall" << "1.1";
        QTest::newRow("trailing period") << "12.3. Payment terms" << "12.3";
        QTest::newRow("lettered") << "12.3(a) The Customer" << "12.3(a)";
        QTest::newRow("nested") << "12.3(a)(ii) pays" << "12.3(a)(ii)";
        QTest::newRow("article roman") << "ARTICLE IV MISCELLANEOUS" << "Article IV";
        QTest::newRow("article number") << "Article 7" << "Article 7";
        QTest::newRow("section") << "Section 5 Payment" << "Section 5";
        QTest::newRow("section dotted") << "SECTION 5.2 Notices" << "Section 5.2";
        QTest::newRow("sub letter") << "(b) Late payments" << "(b)";
        QTest::newRow("sub roman") << "(iv) the fourth" << "(iv)";
        QTest::newRow("a number in a sentence") << "30 days after the invoice" << "";
        QTest::newRow("a year") << "2024 was a good year" << "";
        QTest::newRow("plain") << "The Supplier may refuse" << "";
        QTest::newRow("sectional word") << "Sections of this Agreement" << "";
    }
    void clauseLabelsAsWritten() {
        QFETCH(QString, paragraph);
        QFETCH(QString, label);
        QCOMPARE(QString::fromStdString(clause_label(paragraph.toStdString())), label);
    }

    void subClausesJoinTheirParent() {
        const std::vector<contract_paragraph> paras = {
            {"12.3 Payment.", 0, false}, {"(a) first", 0, false},  {"(i) nested", 0, false},
            {"(ii) nested two", 0, false}, {"(b) second", 0, false}, {"continues (b)", 0, false},
            {"13. Term", 0, false},       {"(a) again", 0, false}};
        const contract_structure c = segment_contract(paras);
        std::vector<std::string> got;
        for (const segment& s : c.segments) got.push_back(s.where.clause);
        const std::vector<std::string> expected = {"12.3", "12.3(a)", "12.3(a)(i)", "12.3(a)(ii)", "12.3(b)", "13", "13(a)"};
        QCOMPARE(got, expected);
        QCOMPARE(c.segments[4].text, std::string("(b) second\ncontinues (b)"));
    }

    void docxClausesTermsPartiesDates() {
        const source src = read_docx(fixture("docx/contract.docx").toStdString());
        QCOMPARE(src.kind, source_kind::docx);
        QCOMPARE(src.title, std::string("Master Services Agreement"));
        const std::vector<std::string> expected = {"MASTER SERVICES AGREEMENT", "1", "1.1", "1.2", "2", "2.1",
                                                   "2.1(a)", "2.1(b)", "3", "3.1", "Article IV", "Section 5"};
        QCOMPARE(labels(src), expected);
        // Numbering is rendered in front of the text; headings keep their text.
        QCOMPARE(clause(src, "1")->text, std::string("1. Definitions and Interpretation"));
        QVERIFY(clause(src, "1.1")->text.starts_with("1.1 \xE2\x80\x9C" "Deliverables\xE2\x80\x9D means"));
        QVERIFY(clause(src, "2.1(a)")->text.starts_with("(a) reading every contract"));
        // The table follows 2.1(b) and belongs to it; the tracked deletion is gone.
        const std::string b = clause(src, "2.1(b)")->text;
        QVERIFY2(b.find("Fee | Amount\nMonthly fee | EUR 10,000") != std::string::npos, b.c_str());
        for (const segment& s : src.segments) QVERIFY(s.text.find("DELETED") == std::string::npos);
        QVERIFY(clause(src, "Article IV")->text.find("creates a partnership") != std::string::npos);
        QCOMPARE(clause(src, "MASTER SERVICES AGREEMENT")->where.page, 0);

        QCOMPARE(src.terms.size(), size_t(6));
        for (const auto& [name, where] : std::vector<std::pair<std::string, std::string>>{
                 {"Agreement", "MASTER SERVICES AGREEMENT"}, {"Provider", "MASTER SERVICES AGREEMENT"},
                 {"Client", "MASTER SERVICES AGREEMENT"},    {"Deliverables", "1.1"},
                 {"Business Day", "1.2"},                    {"Review Services", "2.1"}}) {
            const defined_term* t = term(src, name);
            QVERIFY2(t, name.c_str());
            QCOMPARE(t->clause, where);
        }
        QVERIFY(term(src, "Deliverables")->definition.starts_with("\"Deliverables\" means all documents and reports"));
        QVERIFY(term(src, "Provider")->definition.empty());
        QCOMPARE(src.parties, (std::vector<std::string>{"Northwind Traders Ltd", "Contoso Legal LLP"}));
        QCOMPARE(src.dates, (std::vector<std::string>{"5 June 2024", "1 July 2024", "June 30, 2025"}));
    }

    void pdfContractClausesCarryPages() {
        source src = read_pdf(fixture("pdf/contract.pdf").toStdString());
        apply_contract_structure(src);
        const std::vector<std::string> expected = {"SERVICES AGREEMENT", "Article I", "1", "1.1", "1.2", "1.3",
                                                   "Article II", "2", "2.1", "2.2", "2.2", "Section 5", "12.3",
                                                   "12.3(a)", "12.3(b)", "13"};
        QCOMPARE(labels(src), expected);
        QCOMPARE(clause(src, "2.2", 1)->where.page, 1);
        QVERIFY(clause(src, "2.2", 2));  // clause 2.2 continues on page 2 with its own anchor
        QVERIFY(clause(src, "2.2", 2)->text.starts_with("The Supplier may refuse"));
        QCOMPARE(clause(src, "12.3(b)")->where.page, 2);
        QCOMPARE(clause(src, "1.2")->where.page, 1);
        for (const char* name : {"Agreement", "Supplier", "Customer", "Services", "Fees", "Confidential Information",
                                 "Start Date"})
            QVERIFY2(term(src, name), name);
        QCOMPARE(src.terms.size(), size_t(7));
        QCOMPARE(term(src, "Fees")->clause, std::string("1.2"));
        QCOMPARE(term(src, "Fees")->page, 1);
        QCOMPARE(src.parties, (std::vector<std::string>{"Acme Widgets Ltd", "Beta Analytics Inc."}));
        QCOMPARE(src.dates, (std::vector<std::string>{"1 March 2024", "15 April 2024", "28 February 2025"}));
    }

    void badDocxFailsNamingTheFile_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("problem");
        QTest::newRow("not a zip") << fixture("docx/notazip.docx") << QStringLiteral(": not a DOCX file (not a zip archive");
        QTest::newRow("no document") << fixture("docx/nodocument.docx")
                                     << QStringLiteral(": not a DOCX file (no word/document.xml in the archive)");
        QTest::newRow("missing") << QStringLiteral("/nonexistent/c.docx") << QStringLiteral(": cannot open the file");
    }
    void badDocxFailsNamingTheFile() {
        QFETCH(QString, file);
        QFETCH(QString, problem);
        const QString msg = docxError(file);
        QVERIFY2(msg.startsWith(file + problem), qPrintable(msg));
    }
};

QTEST_GUILESS_MAIN(TestContract)
#include "tst_contract.moc"
