// Plain folders through read_path: text files with file + line anchors, PDFs and DOCX as their own sources, the
// repository exclusion rules, hidden and vendored folders skipped, a bad PDF listed without stopping the folder.
#include "ingest/read_any.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <set>

using namespace m1::ingest;

namespace {

QString fixture(const char* rel) { return QStringLiteral(M1_SOURCE_DIR "/tests/ingest/fixtures/") + rel; }

bool write(const QString& path, const QByteArray& data) {
    QDir().mkpath(QFileInfo(path).path());
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(data) == data.size();
}

}  // namespace

class TestFolderReader : public QObject {
    Q_OBJECT
private slots:
    void readsAFolderLikeARepository() {
        QTemporaryDir dir;
        const QString d = dir.path();
        QVERIFY(write(d + "/notes.txt", "one\ntwo\nthree\n"));
        QVERIFY(write(d + "/docs/guide.md", "# Guide\n\nText.\n"));
        QVERIFY(write(d + "/node_modules/pkg/index.js", "module.exports = 1;\n"));
        QVERIFY(write(d + "/.cache/x.txt", "hidden\n"));
        QVERIFY(write(d + "/data.bin", QByteArray("\x00\x01\x02", 3)));
        QVERIFY(write(d + "/yarn.lock", "lock\n"));
        QVERIFY(QDir().mkpath(d + "/papers"));
        QVERIFY(QFile::copy(fixture("pdf/report.pdf"), d + "/papers/report.pdf"));
        QVERIFY(QFile::copy(fixture("pdf/encrypted.pdf"), d + "/papers/locked.pdf"));
        QVERIFY(QFile::copy(fixture("docx/contract.docx"), d + "/contract.docx"));

        const read_result r = read_path(d.toStdString());
        QCOMPARE(r.sources.size(), size_t(3));  // the text files, then contract.docx, then papers/report.pdf
        const source& text = r.sources[0];
        QCOMPARE(text.kind, source_kind::text);
        std::set<std::string> files;
        for (const segment& s : text.segments) files.insert(s.where.file);
        QCOMPARE(files, (std::set<std::string>{"docs/guide.md", "notes.txt"}));
        for (const segment& s : text.segments)
            if (s.where.file == "notes.txt") {
                QCOMPARE(s.where.line_start, 1);
                QCOMPARE(s.where.line_end, 3);
                QCOMPARE(s.text, std::string("one\ntwo\nthree\n"));
            }
        std::map<std::string, std::string> skipped;
        for (const skipped_file& s : text.skipped) skipped[s.file] = s.reason;
        QCOMPARE(skipped[".cache/"], std::string("hidden"));
        QCOMPARE(skipped["node_modules/"], std::string("vendored"));
        QCOMPARE(skipped["data.bin"], std::string("binary"));
        QCOMPARE(skipped["yarn.lock"], std::string("lockfile"));
        QVERIFY2(skipped["papers/locked.pdf"].find("encrypted; pass --password") != std::string::npos,
                 skipped["papers/locked.pdf"].c_str());
        QCOMPARE(text.meta("files"), std::string("2"));
        QCOMPARE(r.sources[1].kind, source_kind::docx);
        QCOMPARE(r.sources[2].kind, source_kind::pdf);
        QCOMPARE(r.sources[2].pages.size(), size_t(4));

        // The password reaches PDFs inside the folder.
        read_options o;
        o.password = "m1-user";
        QCOMPARE(read_path(d.toStdString(), o).sources.size(), size_t(4));
    }

    void globsApplyToFolders() {
        QTemporaryDir dir;
        QVERIFY(write(dir.path() + "/a.txt", "a\n"));
        QVERIFY(write(dir.path() + "/b.md", "b\n"));
        read_options o;
        o.exclude = {"*.md"};
        const read_result r = read_path(dir.path().toStdString(), o);
        QCOMPARE(r.sources.size(), size_t(1));
        QCOMPARE(r.sources[0].segments.size(), size_t(1));
        QCOMPARE(r.sources[0].segments[0].where.file, std::string("a.txt"));
    }
};

QTEST_GUILESS_MAIN(TestFolderReader)
#include "tst_folder_reader.moc"
