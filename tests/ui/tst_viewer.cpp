// The viewer: finding a quote among word boxes, the PDF view on a real fixture (highlight rectangles checked against
// pdftotext -bbox, an independent Poppler front end), the text view's line highlight, find, and back/forward.
#include "app/citations/CitationParser.h"
#include "ingest/read_any.h"
#include "ui/viewer/CitationTarget.h"
#include "ui/viewer/CodeView.h"
#include "ui/viewer/PdfView.h"
#include "ui/viewer/QuoteLocator.h"
#include "ui/viewer/ViewerPane.h"
#include "ui_test_support.h"

#include <QRegularExpression>
#include <QTextBlock>

using namespace m1::ui;

namespace {
const QString kReport = QStringLiteral(M1_SOURCE_DIR "/tests/ingest/fixtures/pdf/report.pdf");

// The boxes of the words on `page` as pdftotext -bbox reports them, in order.
QList<WordBox> pdftotextWords(int page) {
    const QString xml = QString::fromUtf8(m1::ui::test::run(
        QStringLiteral("pdftotext"), {QStringLiteral("-f"), QString::number(page), QStringLiteral("-l"),
                                      QString::number(page), QStringLiteral("-bbox"), kReport, QStringLiteral("-")}));
    QList<WordBox> out;
    static const QRegularExpression re(QStringLiteral(
        "<word xMin=\"([\\d.]+)\" yMin=\"([\\d.]+)\" xMax=\"([\\d.]+)\" yMax=\"([\\d.]+)\">([^<]*)</word>"));
    for (auto it = re.globalMatch(xml); it.hasNext();) {
        const auto m = it.next();
        const double x0 = m.captured(1).toDouble(), y0 = m.captured(2).toDouble();
        out.append({m.captured(5), QRectF(x0, y0, m.captured(3).toDouble() - x0, m.captured(4).toDouble() - y0)});
    }
    return out;
}
}  // namespace

class TestViewer : public QObject {
    Q_OBJECT
private slots:
    void locatesQuotesAmongWords() {
        const QList<WordBox> words = {
            {QStringLiteral("The"), QRectF(10, 10, 20, 10)},    {QStringLiteral("total"), QRectF(35, 10, 30, 10)},
            {QStringLiteral("liabil-"), QRectF(70, 10, 40, 10)}, {QStringLiteral("ity"), QRectF(10, 25, 15, 10)},
            {QStringLiteral("shall,"), QRectF(30, 25, 30, 10)},  {QStringLiteral("not"), QRectF(65, 25, 20, 10)},
        };
        // Across a hyphenated line end, case and punctuation ignored: two line rectangles.
        const QList<QRectF> r = locateQuote(words, QStringLiteral("total LIABILITY shall not"));
        QCOMPARE(r.size(), 2);
        QCOMPARE(r[0], QRectF(35, 10, 75, 10));
        QCOMPARE(r[1], QRectF(10, 25, 75, 10));
        QVERIFY(locateQuote(words, QStringLiteral("nothing like this here")).isEmpty());
        QVERIFY(locateQuote(words, QString()).isEmpty());
        // A quote that drifts after three words still finds its start.
        QCOMPARE(locateQuote(words, QStringLiteral("the total liability is capped")).size(), 2);
    }

    void pdfPageHighlightMatchesPdftotext() {
        PdfView view;
        view.resize(700, 800);
        QString error;
        QVERIFY2(view.open(kReport, &error), qPrintable(error));
        QCOMPARE(view.pageCount(), 4);
        const QList<QRectF> rects = view.highlightQuote(2, QStringLiteral("Left engine column clause reader budget"));
        QCOMPARE(view.page(), 2);
        QCOMPARE(rects.size(), 1);
        QCOMPARE(view.highlights(), rects);
        // Reference: the same six words' boxes from pdftotext.
        const QList<WordBox> ref = pdftotextWords(2);
        QVERIFY(ref.size() > 10);
        qsizetype start = -1;
        for (qsizetype i = 0; i + 5 < ref.size(); ++i)
            if (ref[i].text == QLatin1String("Left") && ref[i + 5].text == QLatin1String("budget")) start = i;
        QVERIFY(start >= 0);
        QRectF expected;
        for (qsizetype i = start; i < start + 6; ++i) expected = expected.united(ref[i].rect);
        const QRectF got = rects.first();
        QVERIFY2(qAbs(got.left() - expected.left()) < 2 && qAbs(got.right() - expected.right()) < 2 &&
                     qAbs(got.top() - expected.top()) < 3 && qAbs(got.bottom() - expected.bottom()) < 3,
                 qPrintable(QStringLiteral("got %1,%2 %3x%4; pdftotext %5,%6 %7x%8")
                                .arg(got.x()).arg(got.y()).arg(got.width()).arg(got.height())
                                .arg(expected.x()).arg(expected.y()).arg(expected.width()).arg(expected.height())));
        // The page arrives from the render thread, with the highlight drawn over it (tinted yellow).
        QTRY_COMPARE_WITH_TIMEOUT(view.renderedPage(), 2, 10000);
        const QImage shot = view.widget()->grab().toImage();
        const QRectF mark(got.x() * view.zoom(), got.y() * view.zoom(), got.width() * view.zoom(), got.height() * view.zoom());
        int tinted = 0, white = 0;
        for (int x = int(mark.left()) + 3; x < int(mark.right()) - 3; x += 2) {
            const QColor c = shot.pixelColor(x, int(mark.top()) + 2);
            if (c.red() > 200 && c.green() > 170 && c.blue() < 200) ++tinted;
        }
        for (int x = 20; x < 60; x += 2)
            if (shot.pixelColor(x, 20) == QColor(Qt::white)) ++white;  // the margin stays white
        QVERIFY2(tinted > 10, qPrintable(QString::number(tinted)));
        QVERIFY(white > 10);
        // Zoom and page navigation.
        view.setZoom(2.0);
        QCOMPARE(view.zoom(), 2.0);
        view.setPage(9);
        QCOMPARE(view.page(), 4);
        QVERIFY(view.highlights().isEmpty());
    }

    void findWalksThroughPages() {
        PdfView view;
        QString error;
        QVERIFY(view.open(kReport, &error));
        QVERIFY(view.find(QStringLiteral("Conclusion")));
        // pdftotext names the page the heading is on.
        int expectedPage = 0;
        for (int p = 1; p <= 4 && !expectedPage; ++p)
            for (const WordBox& w : pdftotextWords(p))
                if (w.text == QLatin1String("Conclusion")) expectedPage = p;
        QCOMPARE(view.page(), expectedPage);
        QCOMPARE(view.highlights().size(), 1);
        QVERIFY(!view.find(QStringLiteral("zebra-unicorn")));
    }

    void codeViewHighlightsLines() {
        CodeView code;
        code.resize(500, 200);
        code.show();
        QStringList lines;
        for (int i = 1; i <= 300; ++i) lines << QStringLiteral("line %1").arg(i);
        code.showText(lines.join(QLatin1Char('\n')));
        code.highlightLines(200, 204);
        QCOMPARE(code.highlightedFirst(), 200);
        QCOMPARE(code.highlightedLast(), 204);
        QCOMPARE(code.extraSelections().size(), 5);
        QCOMPARE(code.extraSelections().first().cursor.block().text(), QStringLiteral("line 200"));
        QVERIFY(code.firstVisibleLine() > 150 && code.firstVisibleLine() <= 200);
        QVERIFY(code.findText(QStringLiteral("line 17")));
        QCOMPARE(code.textCursor().block().blockNumber() + 1 >= 17, true);
    }

    void citationTargetsInARepositoryAndAPdf() {
        QTemporaryDir dir;
        const QString repo = m1::ui::test::copyFixtureRepo(dir);
        m1::ingest::read_options o;
        o.history = 0;
        const m1::ingest::source src = std::move(m1::ingest::read_path(repo.toStdString(), o).sources.front());
        const QList<m1::app::Citation> cs = m1::app::CitationParser::parse(QStringLiteral("[R1 src/main.cpp:2-3]"));
        QCOMPARE(cs.size(), 1);
        const ViewerLocation l = locationForCitation(src, cs.front());
        QCOMPARE(l.kind, ViewerLocation::Kind::Text);
        QCOMPARE(l.lineFirst, 2);
        QCOMPARE(l.lineLast, 3);
        // Reference: the file at the commit, as git prints it.
        const QString expected = QString::fromUtf8(m1::ui::test::run(
            QStringLiteral("git"), {QStringLiteral("-c"), QStringLiteral("safe.directory=*"), QStringLiteral("show"),
                                    QStringLiteral("main:src/main.cpp")}, repo));
        QVERIFY(!expected.isEmpty());
        QCOMPARE(l.text.split(QLatin1Char('\n')).mid(0, 5), expected.split(QLatin1Char('\n')).mid(0, 5));
        // Picking the repository itself opens its first file, nothing highlighted.
        const ViewerLocation first = locationForSource(src, QString());
        QCOMPARE(first.kind, ViewerLocation::Kind::Text);
        QCOMPARE(first.lineFirst, 0);
        QVERIFY(!first.text.isEmpty());

        const m1::ingest::source pdf = std::move(m1::ingest::read_path(kReport.toStdString()).sources.front());
        const ViewerLocation p = locationForCitation(pdf, m1::app::CitationParser::parse(QStringLiteral("[S1 p.3 \"two words\"]")).front());
        QCOMPARE(p.kind, ViewerLocation::Kind::Pdf);
        QCOMPARE(p.page, 3);
        QCOMPARE(p.quote, QStringLiteral("two words"));
        QCOMPARE(p.file, kReport);
    }

    void historyGoesBackAndForward() {
        ViewerPane pane;
        ViewerLocation a;
        a.kind = ViewerLocation::Kind::Text;
        a.title = QStringLiteral("a.txt");
        a.text = QStringLiteral("one\ntwo\nthree");
        a.lineFirst = a.lineLast = 2;
        ViewerLocation b;
        b.kind = ViewerLocation::Kind::Pdf;
        b.file = kReport;
        b.page = 3;
        b.title = QStringLiteral("report");
        QVERIFY(pane.open(a));
        QVERIFY(pane.open(b));
        QCOMPARE(pane.pdfView()->page(), 3);
        QVERIFY(pane.canGoBack());
        pane.back();
        QCOMPARE(pane.current()->title, QStringLiteral("a.txt"));
        QCOMPARE(pane.codeView()->highlightedFirst(), 2);
        QVERIFY(pane.canGoForward());
        pane.forward();
        QCOMPARE(pane.current()->page, 3);
        QVERIFY(!pane.canGoForward());
        ViewerLocation bad = b;
        bad.file = QStringLiteral("/nonexistent.pdf");
        QString error;
        QVERIFY(!pane.open(bad, &error));
        QVERIFY(error.contains(QStringLiteral("/nonexistent.pdf")));
        QCOMPARE(pane.current()->page, 3);  // a failed open leaves the history alone
    }
};

QTEST_MAIN(TestViewer)
#include "tst_viewer.moc"
