// engine/tokenizer/nfc against the Unicode Consortium's own conformance file, NormalizationTest.txt (Debian's
// unicode-data package, read through bzcat): for every line c1;c2;c3;c4;c5, NFC(c1) == NFC(c2) == NFC(c3) == c2 and
// NFC(c4) == NFC(c5) == c4; every code point that no line lists in Part 1 is its own NFC.
#include "engine/tokenizer/nfc.h"

#include <QFile>
#include <QProcess>
#include <QtTest>

#include <set>

namespace {

const QString k_test_file = QStringLiteral("/usr/share/unicode/NormalizationTest.txt.bz2");

std::string utf8Of(const QByteArray& hexList) {
    std::u32string cps;
    for (const QByteArray& h : hexList.trimmed().split(' '))
        if (!h.isEmpty()) cps.push_back(char32_t(h.toUInt(nullptr, 16)));
    return QString::fromUcs4(cps.data(), qsizetype(cps.size())).toStdString();
}

QByteArray hexOf(const std::string& s) {
    QByteArray out;
    for (char32_t c : QString::fromStdString(s).toUcs4()) out += QByteArray::number(uint(c), 16).toUpper() + ' ';
    return out.trimmed();
}

}  // namespace

class TestNfc : public QObject {
    Q_OBJECT

private slots:
    void conformance() {
        if (!QFile::exists(k_test_file)) QSKIP("NormalizationTest.txt.bz2 not installed (Debian package unicode-data)");
        QProcess bz;
        bz.start(QStringLiteral("bzcat"), {k_test_file});
        if (!bz.waitForStarted()) QSKIP("bzcat is not installed (Debian package bzip2)");
        QVERIFY(bz.waitForFinished(60000));
        const QList<QByteArray> lines = bz.readAllStandardOutput().split('\n');

        int checked = 0, failures = 0;
        bool part1 = false;
        std::set<uint32_t> listed;  // code points that Part 1 lists (they may change under NFC)
        for (const QByteArray& raw : lines) {
            const QByteArray line = raw.left(raw.indexOf('#')).trimmed();
            if (line.isEmpty()) continue;
            if (line.startsWith('@')) {
                part1 = line.startsWith("@Part1");
                continue;
            }
            const QList<QByteArray> f = line.split(';');
            QVERIFY2(f.size() >= 5, line.constData());
            std::string c[5];
            for (int i = 0; i < 5; ++i) c[i] = utf8Of(f[i]);
            if (part1) listed.insert(f[0].trimmed().toUInt(nullptr, 16));
            const std::pair<int, int> expectations[] = {{0, 1}, {1, 1}, {2, 1}, {3, 3}, {4, 3}};
            for (auto [from, to] : expectations) {
                const std::string got = m1::nfc::to_nfc(c[from]);
                if (got != c[to] && ++failures <= 10)
                    qWarning("NFC(%s) = %s, want %s", hexOf(c[from]).constData(), hexOf(got).constData(), hexOf(c[to]).constData());
            }
            ++checked;
        }
        QVERIFY(checked > 19000);
        QCOMPARE(failures, 0);

        int unchangedFailures = 0;
        for (uint32_t cp = 0; cp < 0x110000; ++cp) {
            if ((cp >= 0xD800 && cp <= 0xDFFF) || listed.count(cp)) continue;
            char32_t one = char32_t(cp);
            const std::string s = QString::fromUcs4(&one, 1).toStdString();
            std::string out;
            if (m1::nfc::normalize(s, out) && out != s && ++unchangedFailures <= 10)
                qWarning("U+%04X changed under NFC", cp);
        }
        QCOMPARE(unchangedFailures, 0);
    }

    void asciiAndComposedTextIsNotCopied() {
        std::string out = "untouched";
        QVERIFY(!m1::nfc::normalize("plain ASCII text\r\n\t", out));
        QVERIFY(!m1::nfc::normalize("d\xC3\xA9j\xC3\xA0 vu, \xE4\xB8\xAD\xE6\x96\x87, \xED\x95\x9C", out));  // é à 中文 한
        QCOMPARE(out, std::string("untouched"));
        QVERIFY(m1::nfc::normalize("e\xCC\x81", out));  // e + U+0301
        QCOMPARE(out, std::string("\xC3\xA9"));
    }

    void changesOnlyTheStretchAroundMarks() {
        // Text before and after a decomposed letter is kept byte for byte; the Hangul jamo compose to one syllable.
        QCOMPARE(m1::nfc::to_nfc("abc Cafe\xCC\x81 xyz \xE1\x84\x92\xE1\x85\xA1\xE1\x86\xAB!"),
                 std::string("abc Caf\xC3\xA9 xyz \xED\x95\x9C!"));
        QCOMPARE(m1::nfc::combining_class(0x0301), uint8_t(230));
        QCOMPARE(m1::nfc::combining_class(0x0041), uint8_t(0));
    }
};

QTEST_GUILESS_MAIN(TestNfc)
#include "tst_nfc.moc"
