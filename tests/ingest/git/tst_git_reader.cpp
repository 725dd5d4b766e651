// The git reader on the fixture repository (tests/ingest/fixtures/make_git_repo.py), copied into a temporary folder
// per test. The git command line is the reference for file sets, file contents, hashes and history.
#include "ingest/git/git_reader.h"
#include "ingest/git/git_refs.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <atomic>
#include <set>

using namespace m1::ingest;

namespace {

// Runs git in `dir`; returns stdout (empty on failure, which the callers' comparisons then report).
QString git(const QString& dir, const QStringList& args) {
    QProcess p;
    p.setWorkingDirectory(dir);
    p.start(QStringLiteral("git"), QStringList{QStringLiteral("-c"), QStringLiteral("safe.directory=*")} + args);
    p.waitForFinished(60000);
    return QString::fromUtf8(p.readAllStandardOutput());
}

bool copyTree(const QString& from, const QString& to) {
    QDir().mkpath(to);
    QDirIterator it(from, QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString src = it.next();
        const QString dst = to + src.mid(from.size());
        if (it.fileInfo().isDir()) {
            if (!QDir().mkpath(dst)) return false;
        } else if (!QFile::copy(src, dst)) {
            return false;
        }
    }
    return true;
}

// A fresh copy of the fixture repository (no checkout); `repo` is its path.
struct Sandbox {
    QTemporaryDir dir;
    QString repo;
    bool ok = false;
    Sandbox() {
        repo = dir.path() + QStringLiteral("/repo");
        ok = copyTree(QStringLiteral(M1_SOURCE_DIR "/tests/ingest/fixtures/git/repo/.gitted"), repo + QStringLiteral("/.git"));
    }
    void checkout(const QString& ref) { git(repo, {QStringLiteral("checkout"), QStringLiteral("-q"), QStringLiteral("-f"), ref}); }
    void write(const QString& rel, const QByteArray& data) {
        QDir().mkpath(QFileInfo(repo + "/" + rel).path());
        QFile f(repo + "/" + rel);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(data);
    }
};

std::set<std::string> filesOf(const source& src) {
    std::set<std::string> out;
    for (const segment& s : src.segments) out.insert(s.where.file);
    return out;
}

std::map<std::string, std::string> skippedOf(const source& src) {
    std::map<std::string, std::string> out;
    for (const skipped_file& s : src.skipped) out[s.file] = s.reason;
    return out;
}

git_sources readAt(const QString& repo, const std::string& ref, git_options options = {}) {
    options.ref = ref;
    return read_git(repo.toStdString(), options);
}

QString errorOf(const std::string& location, const git_options& options = {}) {
    try {
        read_git(location, options);
    } catch (const ingest_error& e) {
        return QString::fromUtf8(e.what());
    }
    return QString();
}

// Every segment's text equals its lines of `git show ref:file`, segments tile each file, and the commit is ref's.
void checkAnchorsAgainstGit(const QString& repo, const QString& ref, const source& src) {
    const std::string commit = git(repo, {QStringLiteral("rev-parse"), ref + QStringLiteral("^{commit}")}).trimmed().toStdString();
    QCOMPARE(src.commit, commit);
    std::map<std::string, int> next_line;
    for (const segment& s : src.segments) {
        QCOMPARE(s.where.commit, commit);
        QCOMPARE(s.where.line_start, next_line.count(s.where.file) ? next_line[s.where.file] : 1);
        next_line[s.where.file] = s.where.line_end + 1;
        const QStringList lines =
            git(repo, {QStringLiteral("show"), ref + ":" + QString::fromStdString(s.where.file)}).split(QChar('\n'));
        QString expected;
        for (int l = s.where.line_start; l <= s.where.line_end; ++l)
            expected += lines.value(l - 1) + (l < lines.size() ? QStringLiteral("\n") : QString());
        QCOMPARE(QString::fromStdString(s.text), expected);
    }
}

const std::set<std::string> k_v1_files = {".gitignore", "README.md", "docs/guide.md", "src/.gitignore", "src/main.cpp",
                                          "src/util/strings.h"};
const std::map<std::string, std::string> k_v1_skipped = {{"assets/logo.bin", "binary"},
                                                         {"data/big.txt", "too large"},
                                                         {"package-lock.json", "lockfile"},
                                                         {"vendor/", "vendored"},
                                                         {"web/app.min.js", "minified"}};

}  // namespace

class TestGitReader : public QObject {
    Q_OBJECT
private slots:
    void fileSetAtTwoRefs() {
        Sandbox box;
        QVERIFY(box.ok);
        const git_sources v1 = readAt(box.repo, "v1.0");
        QCOMPARE(filesOf(v1.files), k_v1_files);
        QCOMPARE(skippedOf(v1.files), k_v1_skipped);

        const git_sources head = readAt(box.repo, "HEAD");
        std::set<std::string> main_files = {".gitignore", "README.md", "docs/guide.md", "notes.txt", "src/.gitignore",
                                            "src/feature_flags.cpp", "src/main.cpp"};
        QCOMPARE(filesOf(head.files), main_files);
        QCOMPARE(filesOf(readAt(box.repo, "main").files), main_files);

        std::set<std::string> feature_files = k_v1_files;
        feature_files.insert("src/feature.cpp");
        QCOMPARE(filesOf(readAt(box.repo, "feature").files), feature_files);

        // Read + skipped == every file of the tree, by git ls-tree.
        for (const char* ref : {"v1.0", "main"}) {
            const git_sources s = readAt(box.repo, ref);
            std::set<std::string> seen = filesOf(s.files);
            for (const skipped_file& k : s.files.skipped)
                if (!k.file.ends_with("/")) seen.insert(k.file);
            std::set<std::string> reference;
            for (const QString& f : git(box.repo, {QStringLiteral("ls-tree"), QStringLiteral("-r"), QStringLiteral("--name-only"),
                                                   QString::fromLatin1(ref)}).split('\n', Qt::SkipEmptyParts))
                if (!f.startsWith(QStringLiteral("vendor/"))) reference.insert(f.toStdString());
            QCOMPARE(seen, reference);
        }
    }

    void lineAnchorsMatchGitShowAtTwoRefs() {
        Sandbox box;
        QVERIFY(box.ok);
        for (const QString& ref : {QStringLiteral("v1.0"), QStringLiteral("main")}) {
            git_options options;
            options.text = {.min_lines = 4, .max_lines = 10};  // several segments per file
            const git_sources s = readAt(box.repo, ref.toStdString(), options);
            QVERIFY(s.files.segments.size() > 10);
            checkAnchorsAgainstGit(box.repo, ref, s.files);
        }
        // main.cpp at v1.0: 7 comment lines, the #include, a blank line, then "int main() {" on line 10; the three
        // lines added at the top on main move it to line 13.
        for (const auto& [ref, line] : {std::pair{"v1.0", 10}, std::pair{"main", 13}}) {
            git_options options;
            options.text = {.min_lines = 1, .max_lines = 1};
            const git_sources s = readAt(box.repo, ref, options);
            bool found = false;
            for (const segment& seg : s.files.segments)
                if (seg.where.file == "src/main.cpp" && seg.text == "int main() {\n") {
                    QCOMPARE(seg.where.line_start, line);
                    QCOMPARE(seg.where.line_end, line);
                    found = true;
                }
            QVERIFY(found);
        }
    }

    void tokensPerFileAndFolderAddUp() {
        Sandbox box;
        QVERIFY(box.ok);
        git_sources s = readAt(box.repo, "main");
        // Bytes stand in for tokens here: the sums are what is tested (tst_ingest_cli checks real token counts).
        count_tokens(s.files, [](std::string_view t) { return t.size(); });
        const auto folders = tokens_by_folder(s.files);
        const auto files = tokens_by_file(s.files);
        size_t total = 0, src_total = 0;
        for (const auto& [file, tokens] : files) {
            total += tokens;
            if (file.starts_with("src/")) src_total += tokens;
        }
        QCOMPARE(total, s.files.total_tokens());
        QCOMPARE(folders.front().first, std::string());
        QCOMPARE(folders.front().second, total);
        const auto src = std::find_if(folders.begin(), folders.end(), [](const auto& f) { return f.first == "src"; });
        QVERIFY(src != folders.end());
        QCOMPARE(src->second, src_total);
        QCOMPARE(src_total, [&] {
            size_t n = 0;
            for (const char* f : {"src/.gitignore", "src/feature_flags.cpp", "src/main.cpp"})
                n += git(box.repo, {QStringLiteral("show"), QStringLiteral("main:") + f}).toUtf8().size();
            return n;
        }());
    }

    void historyListsTheLastCommits() {
        Sandbox box;
        QVERIFY(box.ok);
        git_options options;
        options.history = 3;
        const git_sources s = readAt(box.repo, "main", options);
        const QStringList hashes = git(box.repo, {QStringLiteral("log"), QStringLiteral("-3"), QStringLiteral("--format=%H"),
                                                  QStringLiteral("main")}).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(s.history.segments.size(), size_t(3));
        for (int i = 0; i < 3; ++i) {
            const segment& seg = s.history.segments[i];
            QCOMPARE(QString::fromStdString(seg.where.commit), hashes[i]);
            const QString text = QString::fromStdString(seg.text);
            const QString subject = git(box.repo, {QStringLiteral("log"), QStringLiteral("-1"), QStringLiteral("--format=%s"), hashes[i]}).trimmed();
            const QString date = git(box.repo, {QStringLiteral("log"), QStringLiteral("-1"), QStringLiteral("--format=%ad"),
                                                QStringLiteral("--date=iso"), hashes[i]}).trimmed();
            QVERIFY2(text.contains(QStringLiteral("\n    ") + subject + "\n"), qPrintable(text));
            QVERIFY2(text.contains(QStringLiteral("Date: ") + date + "\n"), qPrintable(text + " vs " + date));
            QVERIFY(text.contains(QStringLiteral("Author: Ada Fixture <ada@example.org>\n")));
            // Changed files, as git show --name-status prints them.
            const QString changes = git(box.repo, {QStringLiteral("show"), QStringLiteral("--name-status"), QStringLiteral("--format="),
                                                   QStringLiteral("--no-renames"), hashes[i]}).trimmed();
            QVERIFY(!changes.isEmpty());
            QVERIFY2(text.trimmed().endsWith(changes), qPrintable(text + "\nvs\n" + changes));
        }
        options.history = 0;
        QVERIFY(readAt(box.repo, "main", options).history.segments.empty());
    }

    void includeAndExcludePatterns() {
        Sandbox box;
        QVERIFY(box.ok);
        git_options options;
        options.filter.exclude = {"docs/**", "*.md"};
        std::set<std::string> expected = {".gitignore", "src/.gitignore", "src/main.cpp", "src/util/strings.h"};
        QCOMPARE(filesOf(readAt(box.repo, "v1.0", options).files), expected);

        options.filter.exclude.clear();
        options.filter.include = {"src/**"};
        expected = {"src/.gitignore", "src/main.cpp", "src/util/strings.h"};
        QCOMPARE(filesOf(readAt(box.repo, "v1.0", options).files), expected);

        // An explicit include brings back vendored code and lockfiles, but never binaries or large files.
        options.filter.include = {"vendor/", "package-lock.json", "assets/**", "data/**"};
        const git_sources s = readAt(box.repo, "v1.0", options);
        expected = {"package-lock.json", "vendor/lib/vendored.c"};
        QCOMPARE(filesOf(s.files), expected);
        QCOMPARE(skippedOf(s.files)["assets/logo.bin"], std::string("binary"));
        QCOMPARE(skippedOf(s.files)["data/big.txt"], std::string("too large"));
    }

    void worktreeHonoursNestedGitignore() {
        Sandbox box;
        QVERIFY(box.ok);
        box.checkout(QStringLiteral("main"));
        box.write(QStringLiteral("debug.log"), "ignored by the top .gitignore\n");
        box.write(QStringLiteral("build/out.txt"), "ignored folder\n");
        box.write(QStringLiteral("src/generated.h"), "ignored by src/.gitignore\n");
        box.write(QStringLiteral("docs/generated.h"), "not ignored: the nested rule is for src/ only\n");
        box.write(QStringLiteral("src/untracked.cpp"), "int untracked();\n");
        git_options options;
        options.worktree = true;
        const git_sources s = read_git(box.repo.toStdString(), options);
        const std::set<std::string> files = filesOf(s.files);
        QVERIFY(files.count("src/untracked.cpp"));
        QVERIFY(files.count("docs/generated.h"));
        QVERIFY(files.count("src/main.cpp") && files.count("notes.txt"));
        QVERIFY(!files.count("src/generated.h") && !files.count("debug.log") && !files.count("build/out.txt"));
        const auto skipped = skippedOf(s.files);
        QCOMPARE(skipped.at("src/generated.h"), std::string("ignored"));
        QCOMPARE(skipped.at("debug.log"), std::string("ignored"));
        QCOMPARE(skipped.at("build/"), std::string("ignored"));
        QCOMPARE(skipped.at("data/big.txt"), std::string("too large"));
        QCOMPARE(QString::fromStdString(s.files.meta("mode")), QStringLiteral("worktree"));
    }

    void cloneFromFileUrlIntoTheCache() {
        Sandbox box;
        QVERIFY(box.ok);
        QTemporaryDir cache;
        git_options options;
        options.cache_dir = cache.path().toStdString();
        options.ref = "feature";  // a branch that exists only as origin/feature in the clone
        const std::string url = "file://" + box.repo.toStdString();
        const git_sources first = read_git(url, options);
        std::set<std::string> expected = k_v1_files;
        expected.insert("src/feature.cpp");
        QCOMPARE(filesOf(first.files), expected);
        options.ref = "v1.0";
        QCOMPARE(filesOf(read_git(url, options).files), k_v1_files);  // second call: fetch into the same cache
        QCOMPARE(QDir(cache.path()).entryList(QDir::Dirs | QDir::NoDotAndDotDot).size(), 1);
    }

    void badInputsFailNamingTheLocation() {
        QTemporaryDir plain;
        QString msg = errorOf(plain.path().toStdString());
        QVERIFY2(msg.startsWith(plain.path() + QStringLiteral(": not a git repository")), qPrintable(msg));
        msg = errorOf("/nonexistent/repo");
        QVERIFY2(msg == QStringLiteral("/nonexistent/repo: no such file or folder"), qPrintable(msg));
        Sandbox box;
        QVERIFY(box.ok);
        git_options options;
        options.ref = "no-such-branch";
        msg = errorOf(box.repo.toStdString(), options);
        QVERIFY2(msg == box.repo + QStringLiteral(": no branch, tag or commit named 'no-such-branch'"), qPrintable(msg));
        options.ref = "HEAD";
        options.worktree = true;
        msg = errorOf("file:///nonexistent", options);
        QVERIFY2(msg.contains(QStringLiteral("--worktree needs a local repository")), qPrintable(msg));
        QTemporaryDir cache;
        options.worktree = false;
        options.cache_dir = cache.path().toStdString();
        msg = errorOf("file:///nonexistent/repo.git", options);
        QVERIFY2(msg.startsWith(QStringLiteral("file:///nonexistent/repo.git: clone failed")), qPrintable(msg));
    }

    void progressPerFileAndCancel() {
        Sandbox box;
        QVERIFY(box.ok);
        git_options options;
        options.run.threads = 2;
        std::set<std::string> reported;
        size_t total = 0;
        options.run.progress = [&](const progress_event& e) {
            reported.insert(std::string(e.item));
            total = e.total;
            return true;
        };
        const git_sources s = readAt(box.repo, "v1.0", options);
        QCOMPARE(total, size_t(8));  // 6 read + 2 left out by content (binary, too large); the rest by name
        for (const std::string& f : k_v1_files) QVERIFY(reported.count(f));

        options.run.threads = 1;
        options.run.progress = [&](const progress_event& e) { return e.done < 2; };
        QVERIFY_THROWS_EXCEPTION(ingest_cancelled, readAt(box.repo, "v1.0", options));
        std::atomic<bool> cancel{true};
        options.run.progress = {};
        options.run.cancel = &cancel;
        QVERIFY_THROWS_EXCEPTION(ingest_cancelled, readAt(box.repo, "v1.0", options));
    }

    void listsBranchesAndTags() {
        Sandbox box;
        QVERIFY(box.ok);
        for (const std::string& location : {box.repo.toStdString(), "file://" + box.repo.toStdString()}) {
            const git_refs r = list_git_refs(location);
            QCOMPARE(r.branches, (std::vector<std::string>{"feature", "main"}));
            QCOMPARE(r.tags, (std::vector<std::string>{"v1.0"}));
            QCOMPARE(r.head, std::string("main"));
        }
        QTemporaryDir plain;
        QVERIFY_THROWS_EXCEPTION(ingest_error, list_git_refs(plain.path().toStdString()));
    }

    void urlDetection() {
        QVERIFY(is_git_url("https://github.com/a/b.git"));
        QVERIFY(is_git_url("file:///tmp/x"));
        QVERIFY(is_git_url("git@github.com:a/b.git"));
        QVERIFY(!is_git_url("/home/me/repo"));
        QVERIFY(!is_git_url("./my@repo/x:y"));
    }
};

QTEST_GUILESS_MAIN(TestGitReader)
#include "tst_git_reader.moc"
