// The PDF reader on the project's fixtures (tests/ingest/fixtures/make_pdfs.py) and on the MiniMax-M1 tech report,
// checked against poppler-utils (pdfinfo, pdftotext, pdftotext -bbox) run through QProcess as the reference.
#include "ingest/pdf/pdf_reader.h"

#include <QFile>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <atomic>

using namespace m1::ingest;

namespace {

QString fixture(const char* name) { return QStringLiteral(M1_SOURCE_DIR "/tests/ingest/fixtures/pdf/") + name; }

QString tool(const QString& program, const QStringList& args) {
    QProcess p;
    p.start(program, args);
    if (!p.waitForFinished(120000) || p.exitCode() != 0) return QString();
    return QString::fromUtf8(p.readAllStandardOutput());
}

// Whitespace runs to one space, trimmed: pdftotext and poppler-cpp differ only in trailing newlines per page.
QString squash(const QString& s) { return s.simplified(); }

QString pdfinfoField(const QString& file, const QString& field) {
    const QString out = tool(QStringLiteral("pdfinfo"), {file});
    const QRegularExpression re(QStringLiteral("^%1:\\s*(.*)$").arg(field), QRegularExpression::MultilineOption);
    return re.match(out).captured(1).trimmed();
}

// pdftotext's text of every page (its pages end with a form feed).
QStringList pdftotextPages(const QString& file) {
    QStringList pages = tool(QStringLiteral("pdftotext"), {file, QStringLiteral("-")}).split(QChar('\f'));
    if (!pages.isEmpty() && pages.last().trimmed().isEmpty()) pages.removeLast();
    return pages;
}

const segment* pageSegment(const source& src, int page) {
    for (const segment& s : src.segments)
        if (s.where.page == page) return &s;
    return nullptr;
}

QString errorOf(const QString& file, const pdf_options& options = {}) {
    try {
        read_pdf(file.toStdString(), options);
    } catch (const ingest_error& e) {
        return QString::fromUtf8(e.what());
    }
    return QString();
}

void compareWithPdftotext(const QString& file, const source& src) {
    const QStringList reference = pdftotextPages(file);
    QCOMPARE(reference.size(), int(src.pages.size()));
    for (int p = 1; p <= reference.size(); ++p) {
        const segment* seg = pageSegment(src, p);
        const QString ours = seg ? QString::fromStdString(seg->text) : QString();
        QVERIFY2(squash(ours) == squash(reference[p - 1]),
                 qPrintable(QStringLiteral("page %1 differs:\nours: %2\npdftotext: %3")
                                .arg(p).arg(squash(ours).left(400), squash(reference[p - 1]).left(400))));
    }
}

}  // namespace

class TestPdfReader : public QObject {
    Q_OBJECT
private slots:
    void pageCountAndMetadataMatchPdfinfo() {
        const source src = read_pdf(fixture("report.pdf").toStdString());
        QCOMPARE(src.kind, source_kind::pdf);
        QCOMPARE(QString::number(src.pages.size()), pdfinfoField(fixture("report.pdf"), QStringLiteral("Pages")));
        QCOMPARE(QString::fromStdString(src.meta("pages")), QStringLiteral("4"));
        QCOMPARE(QString::fromStdString(src.meta("title")), pdfinfoField(fixture("report.pdf"), QStringLiteral("Title")));
        QCOMPARE(QString::fromStdString(src.meta("author")), QStringLiteral("M1 Studio Tests"));
        for (const page_info& p : src.pages) {
            QCOMPARE(p.width, 612.0);
            QCOMPARE(p.height, 792.0);
        }
    }

    void perPageTextMatchesPdftotext() {
        const source src = read_pdf(fixture("report.pdf").toStdString());
        compareWithPdftotext(fixture("report.pdf"), src);
        compareWithPdftotext(fixture("contract.pdf"), read_pdf(fixture("contract.pdf").toStdString()));
    }

    void twoColumnsAreReadOneAfterTheOther() {
        const source src = read_pdf(fixture("report.pdf").toStdString());
        const segment* p2 = pageSegment(src, 2);
        QVERIFY(p2);
        const QString text = QString::fromStdString(p2->text);
        // The generator starts the left column with "Left" and the right one with "Right"; the left column's second
        // line must come before the right column's first line.
        const int left = text.indexOf(QStringLiteral("Left engine column clause reader budget"));
        const int leftLine2 = text.indexOf(QStringLiteral("commit decode citation context anchor"));
        const int right = text.indexOf(QStringLiteral("Right token outline answer engine anchor"));
        QVERIFY2(left >= 0 && leftLine2 > left && right > leftLine2, qPrintable(text.left(600)));
    }

    void wordBoxesMatchPdftotextBbox() {
        const source src = read_pdf(fixture("report.pdf").toStdString());
        const segment* p1 = pageSegment(src, 1);
        QVERIFY(p1);
        for (const box& b : p1->where.boxes) {
            QVERIFY(b.width > 0 && b.height > 0);
            QVERIFY(b.x >= 0 && b.y >= 0 && b.x + b.width <= 612 && b.y + b.height <= 792);
        }
        // Reference: pdftotext -bbox writes every word's box (xMin, yMin, xMax, yMax) in the same coordinates.
        const QString html = tool(QStringLiteral("pdftotext"),
                                  {QStringLiteral("-bbox"), QStringLiteral("-f"), QStringLiteral("1"), QStringLiteral("-l"),
                                   QStringLiteral("1"), fixture("report.pdf"), QStringLiteral("-")});
        const QRegularExpression word(QStringLiteral(
            "<word xMin=\"([\\d.]+)\" yMin=\"([\\d.]+)\" xMax=\"([\\d.]+)\" yMax=\"([\\d.]+)\">"));
        std::vector<box> reference;
        for (auto it = word.globalMatch(html); it.hasNext();) {
            const auto m = it.next();
            reference.push_back({m.captured(1).toDouble(), m.captured(2).toDouble(),
                                 m.captured(3).toDouble() - m.captured(1).toDouble(),
                                 m.captured(4).toDouble() - m.captured(2).toDouble()});
        }
        QVERIFY(reference.size() > 100);
        QCOMPARE(p1->where.boxes.size(), reference.size());
        // Same words, possibly in another order: every reference box has one of ours within half a point.
        for (const box& r : reference) {
            const bool found = std::any_of(p1->where.boxes.begin(), p1->where.boxes.end(), [&](const box& b) {
                return std::abs(b.x - r.x) < 0.5 && std::abs(b.y - r.y) < 0.5 && std::abs(b.width - r.width) < 0.5 &&
                       std::abs(b.height - r.height) < 0.5;
            });
            QVERIFY2(found, qPrintable(QStringLiteral("no box at %1,%2").arg(r.x).arg(r.y)));
        }
    }

    void outlineTitlesLevelsAndPages() {
        const source src = read_pdf(fixture("report.pdf").toStdString());
        // As written by make_pdfs.py (title, level, target page).
        QCOMPARE(src.outline.size(), size_t(4));
        const std::vector<outline_entry> expected = {{"1 Introduction", 1, 1},
                                                     {"1.1 Why anchors matter", 2, 1},
                                                     {"2 Two Column Layout", 1, 2},
                                                     {"3 Conclusion", 1, 4}};
        for (size_t i = 0; i < expected.size(); ++i) {
            QCOMPARE(src.outline[i].title, expected[i].title);
            QCOMPARE(src.outline[i].level, expected[i].level);
            QCOMPARE(src.outline[i].page, expected[i].page);
        }
    }

    void imageOnlyPageIsCountedAndReported() {
        const source src = read_pdf(fixture("report.pdf").toStdString());
        QCOMPARE(src.pages.size(), size_t(4));
        QVERIFY(!src.pages[2].has_text_layer);
        QVERIFY(src.pages[0].has_text_layer && src.pages[1].has_text_layer && src.pages[3].has_text_layer);
        QVERIFY(!pageSegment(src, 3));
        QCOMPARE(src.warnings.size(), size_t(1));
        QVERIFY2(QString::fromStdString(src.warnings[0]).contains(QStringLiteral("without a text layer (3)")),
                 src.warnings[0].c_str());
    }

    void ocrReadsTheScannedPage() {
        if (!pdf_ocr_available()) QSKIP("built without Tesseract");
        pdf_options options;
        options.ocr = true;
        const source src = read_pdf(fixture("report.pdf").toStdString(), options);
        QVERIFY(src.pages[2].ocr);
        const segment* p3 = pageSegment(src, 3);
        QVERIFY(p3);
        QVERIFY2(QString::fromStdString(p3->text).contains(QStringLiteral("Scanned page three")), p3->text.c_str());
        QVERIFY(src.warnings.empty());
    }

    void encryptedNeedsThePassword() {
        const QString file = fixture("encrypted.pdf");
        QString msg = errorOf(file);
        QVERIFY2(msg == file + QStringLiteral(": encrypted; pass --password"), qPrintable(msg));
        pdf_options wrong;
        wrong.password = "not-it";
        msg = errorOf(file, wrong);
        QVERIFY2(msg.startsWith(file) && msg.contains(QStringLiteral("password is wrong")), qPrintable(msg));
        for (const char* password : {"m1-user", "m1-owner"}) {
            pdf_options right;
            right.password = password;
            const source src = read_pdf(file.toStdString(), right);
            QCOMPARE(src.pages.size(), size_t(4));
            const source plain = read_pdf(fixture("report.pdf").toStdString());
            QCOMPARE(src.segments.size(), plain.segments.size());
            for (size_t i = 0; i < src.segments.size(); ++i) QCOMPARE(src.segments[i].text, plain.segments[i].text);
        }
    }

    void badFilesFailNamingTheFile_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("problem");
        QTest::newRow("truncated") << fixture("truncated.pdf") << QStringLiteral(": damaged or truncated PDF");
        QTest::newRow("empty") << fixture("empty.pdf") << QStringLiteral(": empty file, not a PDF");
        QTest::newRow("not a pdf") << QStringLiteral(M1_SOURCE_DIR "/tests/ingest/fixtures/make_pdfs.py")
                                   << QStringLiteral(": not a PDF file");
        QTest::newRow("missing") << QStringLiteral("/nonexistent/x.pdf") << QStringLiteral(": cannot open the file");
        QTest::newRow("folder") << QStringLiteral(M1_SOURCE_DIR "/tests") << QStringLiteral(": is a folder");
    }
    void badFilesFailNamingTheFile() {
        QFETCH(QString, file);
        QFETCH(QString, problem);
        const QString msg = errorOf(file);
        QVERIFY2(msg.startsWith(file + problem), qPrintable(msg));
    }

    // Damaged copies of report.pdf (fixed seed): each is either read, possibly with warnings, or refused with a
    // message naming the file; none crashes.
    void damagedFilesNeverCrash() {
        QFile f(fixture("report.pdf"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray data = f.readAll();
        QTemporaryDir dir;
        QRandomGenerator rng(20261130);
        int read = 0, refused = 0;
        for (int i = 0; i < 40; ++i) {
            QByteArray bytes = data;
            if (i % 2 == 0) {
                bytes.truncate(int(rng.bounded(data.size())));
            } else {
                for (int k = 0; k < 20; ++k) bytes[int(rng.bounded(bytes.size()))] = char(rng.bounded(256));
            }
            const QString file = dir.filePath(QStringLiteral("damaged%1.pdf").arg(i));
            QFile out(file);
            QVERIFY(out.open(QIODevice::WriteOnly));
            out.write(bytes);
            out.close();
            try {
                const source src = read_pdf(file.toStdString());
                QVERIFY(!src.pages.empty());
                ++read;
            } catch (const ingest_error& e) {
                QVERIFY2(QString::fromUtf8(e.what()).startsWith(file + QStringLiteral(": ")), e.what());
                ++refused;
            }
        }
        QCOMPARE(read + refused, 40);
        QVERIFY(refused > 0);
    }

    void progressReportsEveryPageAndCancels() {
        pdf_options options;
        options.run.threads = 1;
        std::vector<size_t> done;
        options.run.progress = [&](const progress_event& e) {
            done.push_back(e.done);
            return e.total == 4;
        };
        QCOMPARE(read_pdf(fixture("report.pdf").toStdString(), options).pages.size(), size_t(4));
        QCOMPARE(done, (std::vector<size_t>{1, 2, 3, 4}));

        int calls = 0;
        options.run.progress = [&](const progress_event&) { return ++calls < 2; };
        try {
            read_pdf(fixture("report.pdf").toStdString(), options);
            QFAIL("cancel was ignored");
        } catch (const ingest_cancelled& e) {
            QVERIFY(QString::fromUtf8(e.what()).contains(QStringLiteral("report.pdf: cancelled")));
        }
        QCOMPARE(calls, 2);

        std::atomic<bool> cancel{true};
        options.run.progress = {};
        options.run.cancel = &cancel;
        QVERIFY_THROWS_EXCEPTION(ingest_cancelled, read_pdf(fixture("report.pdf").toStdString(), options));
    }

    void parallelReadEqualsSerialRead() {
        pdf_options one, many;
        one.run.threads = 1;
        many.run.threads = 4;
        const source a = read_pdf(fixture("report.pdf").toStdString(), one);
        const source b = read_pdf(fixture("report.pdf").toStdString(), many);
        QCOMPARE(a.segments.size(), b.segments.size());
        for (size_t i = 0; i < a.segments.size(); ++i) {
            QCOMPARE(a.segments[i].where.page, b.segments[i].where.page);
            QCOMPARE(a.segments[i].text, b.segments[i].text);
            QCOMPARE(a.segments[i].where.boxes.size(), b.segments[i].where.boxes.size());
        }
    }

    void techReportMatchesPdfinfoAndPdftotext() {
        const QString file = QString::fromUtf8(qEnvironmentVariableIsSet("M1_SHARED_DIR")
                                                   ? qgetenv("M1_SHARED_DIR") : QByteArray(M1_SHARED_DIR)) +
                             QStringLiteral("/corpus/minimax-m1-tech-report.pdf");
        if (!QFile::exists(file)) QSKIP("the tech report is not in the shared folder");
        const source src = read_pdf(file.toStdString());
        QCOMPARE(QString::number(src.pages.size()), pdfinfoField(file, QStringLiteral("Pages")));
        compareWithPdftotext(file, src);
    }
};

QTEST_GUILESS_MAIN(TestPdfReader)
#include "tst_pdf_reader.moc"
