// SourcesModel with sources read by IngestJob (the real readers and the real MiniMax-M1 tokenizer): the tree, the
// token counts, the checkboxes and what they do to the totals, the exclude globs and the context.
#include "engine/tokenizer/tokenizer.h"
#include "ui/models/SourcesModel.h"
#include "ui/workers/IngestJob.h"
#include "ui_test_support.h"

#include <QMimeData>
#include <QSignalSpy>
#include <QUrl>

#include <set>

using m1::ui::IngestJob;
using m1::ui::IngestResult;
using m1::ui::SourcesModel;

class TestSourcesModel : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    std::shared_ptr<const m1::tokenizer> m_tok;
    QString m_repo;

    IngestResult read(const QString& path, m1::ingest::read_options o = {}) {
        IngestJob job(path, o, m_tok);
        QSignalSpy done(&job, &IngestJob::finished);
        job.start();
        [&] { QVERIFY(done.wait(60000)); }();
        return done.isEmpty() ? IngestResult{} : done.first().first().value<IngestResult>();
    }
    // The tokens of every segment of `file`, counted here with the tokenizer (not by the model).
    qint64 tokensOf(const IngestResult& r, const std::string& file) {
        qint64 sum = 0;
        for (const auto& s : r.sources)
            for (const auto& seg : s.source->segments)
                if (seg.where.file == file) sum += qint64(m_tok->count(seg.text));
        return sum;
    }
    QModelIndex find(const SourcesModel& m, const QModelIndex& parent, const QString& name) {
        for (int r = 0; r < m.rowCount(parent); ++r)
            if (m.index(r, 0, parent).data().toString() == name) return m.index(r, 0, parent);
        return {};
    }

private slots:
    void initTestCase() {
        m_tok = m1::tokenizer::load(qEnvironmentVariable("M1_SHARED_DIR", QStringLiteral(M1_SHARED_DIR)).toStdString() +
                                    "/models/minimax-m1/tokenizer.json");
        QVERIFY(m_tok);
        m_repo = m1::ui::test::copyFixtureRepo(m_dir);
        QVERIFY(QFileInfo::exists(m_repo + QStringLiteral("/README.md")));
    }

    void repositoryTreeCountsAndCheckboxes() {
        SourcesModel model;
        QSignalSpy totals(&model, &SourcesModel::totalsChanged);
        m1::app::WorkspaceSource ws;
        ws.path = m_repo;
        const int row = model.addSource(ws, m_repo);
        QCOMPARE(model.index(row, SourcesModel::TokensColumn).data().toString(), QStringLiteral("queued"));
        QCOMPARE(model.index(row, 0).data(SourcesModel::KindRole).toString(), QStringLiteral("git"));

        m1::ingest::read_options o;
        o.history = 0;
        const IngestResult r = read(m_repo, o);
        QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
        QVERIFY(r.counted);
        model.setRead(row, r.sources, r.counted);

        // Every file in the tree is a file of the commit, as git itself lists them.
        const QStringList gitFiles = QString::fromUtf8(m1::ui::test::run(
            QStringLiteral("git"), {QStringLiteral("-c"), QStringLiteral("safe.directory=*"), QStringLiteral("ls-tree"),
                                    QStringLiteral("-r"), QStringLiteral("--name-only"), QStringLiteral("main")}, m_repo))
                                         .split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QVERIFY(gitFiles.contains(QStringLiteral("src/main.cpp")));
        const QModelIndex root = model.index(row, 0);
        const QModelIndex src = find(model, root, QStringLiteral("src"));
        QVERIFY(src.isValid());
        QCOMPARE(src.data(SourcesModel::KindRole).toString(), QStringLiteral("folder"));
        const QModelIndex mainCpp = find(model, src, QStringLiteral("main.cpp"));
        QVERIFY(mainCpp.isValid());
        QVERIFY(gitFiles.contains(mainCpp.data(SourcesModel::PathRole).toString()));
        QCOMPARE(mainCpp.data(SourcesModel::TokensRole).toLongLong(), tokensOf(r, "src/main.cpp"));

        // The source total is the sum over its segments, counted independently.
        qint64 all = 0;
        for (const auto& s : r.sources)
            for (const auto& seg : s.source->segments) all += qint64(m_tok->count(seg.text));
        QCOMPARE(model.includedTokens(), all);
        QCOMPARE(totals.last().first().toLongLong(), all);

        // Unchecking a file removes exactly its tokens, names it in the exclude globs and drops it from the context.
        const qint64 mainTokens = tokensOf(r, "src/main.cpp");
        QVERIFY(mainTokens > 0);
        QVERIFY(model.setData(mainCpp, Qt::Unchecked, Qt::CheckStateRole));
        QCOMPARE(model.includedTokens(), all - mainTokens);
        QCOMPARE(src.data(Qt::CheckStateRole).toInt(), int(Qt::PartiallyChecked));
        QVERIFY(model.workspaceSource(row).exclude.contains(QStringLiteral("src/main.cpp")));
        const std::vector<m1::ui::ReadSource> context = model.contextSources();
        QCOMPARE(context.size(), r.sources.size());
        for (const m1::ui::ReadSource& c : context)
            for (const auto& seg : c.source->segments) QVERIFY(seg.where.file != "src/main.cpp");
        QVERIFY(context.front().source != r.sources.front().source);             // a filtered copy…
        QCOMPARE(model.contextSources().front().source, context.front().source);  // …made once per selection

        // A whole folder: one glob; checking it again restores the total.
        QVERIFY(model.setData(src, Qt::Unchecked, Qt::CheckStateRole));
        QCOMPARE(src.data(Qt::CheckStateRole).toInt(), int(Qt::Unchecked));
        QVERIFY(model.workspaceSource(row).exclude.contains(QStringLiteral("src/**")));
        QVERIFY(model.setData(src, Qt::Checked, Qt::CheckStateRole));
        QCOMPARE(model.includedTokens(), all);
        QVERIFY(model.workspaceSource(row).exclude.isEmpty());

        // The source's own checkbox leaves all of it out.
        QVERIFY(model.setData(root, Qt::Unchecked, Qt::CheckStateRole));
        QCOMPARE(model.includedTokens(), 0);
        QVERIFY(!model.workspaceSource(row).included);
        QVERIFY(model.contextSources().empty());
    }

    void textFileHasNoTreeAndFailuresShowTheError() {
        SourcesModel model;
        const QString file = QStringLiteral(M1_SOURCE_DIR "/resources/demo/docs/service-agreement.md");
        m1::app::WorkspaceSource ws;
        ws.path = file;
        const int row = model.addSource(ws, file);
        const IngestResult r = read(file);
        model.setRead(row, r.sources, r.counted);
        QCOMPARE(model.rowCount(model.index(row, 0)), 0);
        QFile f(file);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY(model.includedTokens() > 0);
        QCOMPARE(model.index(row, SourcesModel::TokensColumn).data().toString(), QLocale().toString(model.includedTokens()));

        const int bad = model.addSource(ws, QStringLiteral("/nonexistent/file.pdf"));
        const IngestResult failed = read(QStringLiteral("/nonexistent/file.pdf"));
        QVERIFY(!failed.error.isEmpty());
        model.setFailed(bad, failed.error);
        QCOMPARE(model.index(bad, SourcesModel::TokensColumn).data().toString(), QStringLiteral("failed"));
        QVERIFY(model.index(bad, 0).data(Qt::ToolTipRole).toString().contains(QStringLiteral("/nonexistent/file.pdf")));
        model.removeSource(bad);
        QCOMPARE(model.sourceCount(), 1);
    }

    void dropsOfFilesAreAnnounced() {
        SourcesModel model;
        QSignalSpy dropped(&model, &SourcesModel::pathsDropped);
        QMimeData mime;
        mime.setUrls({QUrl::fromLocalFile(QStringLiteral("/tmp/a.pdf")), QUrl(QStringLiteral("https://example.org/x"))});
        QVERIFY(model.canDropMimeData(&mime, Qt::CopyAction, -1, -1, {}));
        QVERIFY(model.dropMimeData(&mime, Qt::CopyAction, -1, -1, {}));
        QCOMPARE(dropped.size(), 1);
        QCOMPARE(dropped.first().first().toStringList(), QStringList{QStringLiteral("/tmp/a.pdf")});
        QMimeData text;
        text.setText(QStringLiteral("hello"));
        QVERIFY(!model.canDropMimeData(&text, Qt::CopyAction, -1, -1, {}));
    }

    void cancelStopsAReadingJob() {
        // Cancel before the pool thread gets far: the result says cancelled, not failed.
        IngestJob job(m_repo, {}, m_tok);
        QSignalSpy done(&job, &IngestJob::finished);
        job.cancel();
        job.start();
        QVERIFY(done.wait(60000));
        const IngestResult r = done.first().first().value<IngestResult>();
        QVERIFY(r.cancelled);
        QVERIFY(r.error.isEmpty());
        QVERIFY(r.sources.empty());
    }
};

QTEST_MAIN(TestSourcesModel)
#include "tst_sources_model.moc"
