#include "ingest/text/text_reader.h"

#include <QTemporaryDir>
#include <QtTest>

using m1::ingest::split_lines;

class TestTextReader : public QObject {
    Q_OBJECT
private slots:
    void anchorsCoverEveryLineOnce() {
        std::string text;
        for (int i = 1; i <= 95; ++i) text += (i % 10 == 0) ? "\n" : "line " + std::to_string(i) + "\r\n";
        const auto segs = split_lines(text, "notes.md", {.min_lines = 8, .max_lines = 40});
        QVERIFY(segs.size() >= 3);
        int expected_start = 1;
        std::string joined;
        for (const auto& s : segs) {
            QCOMPARE(s.where.file, std::string("notes.md"));
            QCOMPARE(s.where.line_start, expected_start);
            QVERIFY(s.where.line_end >= s.where.line_start);
            QVERIFY(s.where.line_end - s.where.line_start + 1 <= 40);
            expected_start = s.where.line_end + 1;
            joined += s.text;
        }
        QCOMPARE(expected_start, 96);
        QCOMPARE(joined, text);  // nothing lost, nothing repeated, CRLF kept
    }

    void closesAtBlankLineAfterMinimum() {
        const std::string text = "a\nb\nc\n\nd\ne\n";
        const auto segs = split_lines(text, "f.txt", {.min_lines = 2, .max_lines = 40});
        QCOMPARE(segs.size(), size_t(2));
        QCOMPARE(segs[0].where.line_end, 4);
        QCOMPARE(segs[0].text, std::string("a\nb\nc\n\n"));
        QCOMPARE(segs[1].where.line_start, 5);
        QCOMPARE(segs[1].where.line_end, 6);
    }

    void lastLineWithoutNewline() {
        const auto segs = split_lines("x\ny", "f.txt");
        QCOMPARE(segs.size(), size_t(1));
        QCOMPARE(segs[0].where.line_end, 2);
        QCOMPARE(segs[0].text, std::string("x\ny"));
    }

    void rejectsInvalidUtf8NamingTheFile() {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("latin1.txt"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("caf\xe9 au lait\n");
        f.close();
        try {
            m1::ingest::read_text_file(path.toStdString());
            QFAIL("invalid UTF-8 was accepted");
        } catch (const m1::ingest::ingest_error& e) {
            const QString msg = QString::fromUtf8(e.what());
            QVERIFY2(msg.contains(path) && msg.contains(QStringLiteral("offset 3")), qPrintable(msg));
        }
    }

    void missingFileIsAClearError() {
        try {
            m1::ingest::read_text_file("/nonexistent/dir/file.txt");
            QFAIL("a missing file was accepted");
        } catch (const m1::ingest::ingest_error& e) {
            QVERIFY(QString::fromUtf8(e.what()).contains(QStringLiteral("/nonexistent/dir/file.txt")));
        }
    }

    void countsTokensPerSegment() {
        m1::ingest::source src;
        src.segments = split_lines("one two\n\nthree four five\n", "f.txt", {.min_lines = 1, .max_lines = 40});
        m1::ingest::count_tokens(src, [](std::string_view s) {
            size_t words = 0;
            bool in = false;
            for (char c : s) {
                const bool space = c == ' ' || c == '\n';
                words += (!space && !in);
                in = !space;
            }
            return words;
        });
        QCOMPARE(src.segments.size(), size_t(2));
        QCOMPARE(src.segments[0].tokens, size_t(2));
        QCOMPARE(src.total_tokens(), size_t(5));
    }
};

QTEST_GUILESS_MAIN(TestTextReader)
#include "tst_text_reader.moc"
