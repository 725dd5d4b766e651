// ingest/core and the file rules of ingest/git: globs (with .gitignore's meaning), default exclusions, per-folder
// token sums, the parallel loop's error and cancel behaviour.
#include "ingest/core/glob.h"
#include "ingest/core/run_control.h"
#include "ingest/git/file_filter.h"

#include <QtTest>

#include <chrono>
#include <thread>

#include <atomic>

using namespace m1::ingest;

class TestIngestCore : public QObject {
    Q_OBJECT
private slots:
    void globs_data() {
        QTest::addColumn<QString>("pattern");
        QTest::addColumn<QString>("path");
        QTest::addColumn<bool>("match");
        QTest::newRow("name anywhere") << "*.md" << "docs/a/b.md" << true;
        QTest::newRow("star stops at slash") << "src/*.cpp" << "src/a/b.cpp" << false;
        QTest::newRow("star same folder") << "src/*.cpp" << "src/b.cpp" << true;
        QTest::newRow("double star") << "src/**/*.cpp" << "src/a/b/c.cpp" << true;
        QTest::newRow("double star zero folders") << "src/**/*.cpp" << "src/c.cpp" << true;
        QTest::newRow("leading double star") << "**/test/*" << "a/test/x" << true;
        QTest::newRow("trailing double star") << "docs/**" << "docs/x/y" << true;
        QTest::newRow("trailing double star other") << "docs/**" << "docsx/y" << false;
        QTest::newRow("folder pattern") << "vendor/" << "a/vendor/x/y.c" << true;
        QTest::newRow("anchored folder") << "/vendor/" << "a/vendor/x.c" << false;
        QTest::newRow("anchored") << "/README.md" << "README.md" << true;
        QTest::newRow("anchored not nested") << "/README.md" << "docs/README.md" << false;
        QTest::newRow("question") << "file?.txt" << "file1.txt" << true;
        QTest::newRow("question not slash") << "a?b" << "a/b" << false;
        QTest::newRow("set") << "[abc].h" << "b.h" << true;
        QTest::newRow("set range") << "v[0-9].txt" << "v7.txt" << true;
        QTest::newRow("negated set") << "[!a].h" << "a.h" << false;
        QTest::newRow("exact") << "Makefile" << "sub/Makefile" << true;
        QTest::newRow("no match") << "*.rs" << "main.cpp" << false;
    }
    void globs() {
        QFETCH(QString, pattern);
        QFETCH(QString, path);
        QFETCH(bool, match);
        QCOMPARE(glob_match(pattern.toStdString(), path.toStdString()), match);
    }

    void defaultExclusions_data() {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("reason");
        QTest::newRow("source") << "src/a.cpp" << QByteArray("int a;\n") << "";
        QTest::newRow("vendor") << "vendor/x/a.c" << QByteArray("int a;\n") << "vendored";
        QTest::newRow("node_modules deep") << "web/node_modules/p/i.js" << QByteArray("x\n") << "vendored";
        QTest::newRow("third_party") << "third_party/z.h" << QByteArray("x\n") << "vendored";
        QTest::newRow("a file named vendor") << "docs/vendor" << QByteArray("x\n") << "";
        QTest::newRow("yarn") << "yarn.lock" << QByteArray("x\n") << "lockfile";
        QTest::newRow("cargo") << "rust/Cargo.lock" << QByteArray("x\n") << "lockfile";
        QTest::newRow("go.sum") << "go.sum" << QByteArray("x\n") << "lockfile";
        QTest::newRow("min.js") << "a.min.js" << QByteArray("x\n") << "minified";
        QTest::newRow("minified content") << "bundle.js" << QByteArray(5000, 'x') << "minified";
        QTest::newRow("long but normal") << "table.txt" << (QByteArray(1500, 'x') + QByteArray("\n") + QByteArray("y\n").repeated(200))
                                         << "";
        QTest::newRow("binary") << "a.dat" << QByteArray("ab\0cd", 5) << "binary";
        QTest::newRow("latin1") << "a.txt" << QByteArray("caf\xe9\n") << "not UTF-8";
        QTest::newRow("utf8") << "a.txt" << QByteArray("caf\xc3\xa9\n") << "";
    }
    void defaultExclusions() {
        QFETCH(QString, path);
        QFETCH(QByteArray, content);
        QFETCH(QString, reason);
        const file_filter f;
        std::string why = path_exclusion(f, path.toStdString());
        if (why.empty()) why = content_exclusion(f, path.toStdString(), size_t(content.size()), content.toStdString());
        QCOMPARE(QString::fromStdString(why), reason);
    }

    void sizeLimitBeforeContent() {
        file_filter f;
        f.max_file_bytes = 10;
        QCOMPARE(content_exclusion(f, "a.txt", 11, ""), std::string("too large"));
        QCOMPARE(content_exclusion(f, "a.txt", 10, "0123456789"), std::string());
    }

    void tokensByFolder() {
        source src;
        for (const auto& [file, tokens] : std::vector<std::pair<std::string, size_t>>{
                 {"README.md", 5}, {"src/a.cpp", 7}, {"src/a.cpp", 3}, {"src/x/b.cpp", 11}, {"docs/c.md", 2}}) {
            segment s;
            s.where.file = file;
            s.tokens = tokens;
            src.segments.push_back(s);
        }
        const auto files = tokens_by_file(src);
        QCOMPARE(files.size(), size_t(4));
        QCOMPARE(files[2], (std::pair<std::string, size_t>{"src/a.cpp", 10}));
        const auto folders = tokens_by_folder(src);
        const std::vector<std::pair<std::string, size_t>> expected = {{"", 28}, {"docs", 2}, {"src", 21}, {"src/x", 11}};
        QCOMPARE(folders, expected);
    }

    void parallelForRunsEveryIndexOnce() {
        run_options o;
        o.threads = 4;
        run_state state(o, 1000);
        std::vector<std::atomic<int>> hits(1000);
        parallel_for(1000, 4, state, [&](size_t i, unsigned worker) {
            QVERIFY(worker < 4);
            hits[i]++;
            state.finished("x");
        });
        for (auto& h : hits) QCOMPARE(h.load(), 1);
    }

    void parallelForRethrowsTheFirstError() {
        run_options o;
        run_state state(o, 100);
        std::atomic<int> ran{0};
        QVERIFY_THROWS_EXCEPTION(ingest_error, parallel_for(100, 3, state, [&](size_t i, unsigned) {
            ++ran;
            if (i == 10) throw ingest_error("boom");
            // Items take a moment, as real pages and files do: without it the other workers can finish all 100
            // trivial items before the failing one is seen, and the check below would depend on scheduling.
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }));
        QVERIFY(ran.load() < 100);  // stopped handing out work
    }

    void cancelFromTheCallbackStopsTheLoop() {
        run_options o;
        std::atomic<int> calls{0};
        o.progress = [&](const progress_event& e) {
            ++calls;
            return e.done < 5;
        };
        run_state state(o, 100);
        std::atomic<int> ran{0};
        parallel_for(100, 1, state, [&](size_t, unsigned) {
            ++ran;
            state.finished("x");
        });
        QCOMPARE(ran.load(), 5);
        QVERIFY(state.cancelled());
        QVERIFY_THROWS_EXCEPTION(ingest_cancelled, state.throw_if_cancelled("src"));
    }
};

QTEST_GUILESS_MAIN(TestIngestCore)
#include "tst_ingest_core.moc"
