// The main window's flows with real workers and the tiny random-weight model: add sources → counts and meter; ask →
// the answer streams into the Conversation pane and Stop ends it mid-stream; a crafted answer's citations open the
// right PDF page with a highlight and the right file lines; refs are listed for the repository picker; settings
// persist through the injected QSettings; workspaces save and reports export.
#include "app/citations/CitationParser.h"
#include "engine/tokenizer/tokenizer.h"
#include "ingest/read_any.h"
#include "ui/MainWindow.h"
#include "ui/RepositoryDialog.h"
#include "ui/models/CitationsModel.h"
#include "ui/models/ConversationModel.h"
#include "ui/models/SourcesModel.h"
#include "ui/panes/Banner.h"
#include "ui/panes/BudgetMeter.h"
#include "ui/panes/ConversationPane.h"
#include "ui/panes/ReasoningPane.h"
#include "ui/panes/SourcesPane.h"
#include "ui/viewer/CodeView.h"
#include "ui/viewer/PdfView.h"
#include "ui/viewer/ViewerPane.h"
#include "ui/workers/SessionController.h"
#include "ui/workers/SourceIngestor.h"
#include "thinking_backend.h"
#include "ui_test_support.h"

#include <QDockWidget>
#include <QHeaderView>
#include <QRegularExpression>
#include <QLabel>
#include <QStatusBar>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTextBlock>
#include <QSettings>
#include <QSignalSpy>
#include <QTextBrowser>
#include <QTreeView>

using namespace m1::ui;

namespace {
const QString kPdf = QStringLiteral(M1_SOURCE_DIR "/tests/ingest/fixtures/pdf/report.pdf");
const QString kAgreement = QStringLiteral(M1_SOURCE_DIR "/resources/demo/docs/service-agreement.md");
}  // namespace

class TestFlows : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_model;
    std::unique_ptr<QSettings> m_settings;
    std::unique_ptr<MainWindow> m_window;

    static bool waitIdle(MainWindow& w) {
        return QTest::qWaitFor([&] { return !w.ingestor()->isBusy(); }, 60000);
    }

private slots:
    void initTestCase() {
        m_model = m1::ui::test::makeTinyModel(m_dir);
        QVERIFY(!m_model.isEmpty());
        m_settings = std::make_unique<QSettings>(m_dir.filePath(QStringLiteral("settings.ini")), QSettings::IniFormat);
        m_window = std::make_unique<MainWindow>(m_settings.get());
        m_window->setCliPath(QStringLiteral(M1_CLI));
        m_window->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    }

    void addSourcesUpdatesCountsAndTheMeter() {
        MainWindow& w = *m_window;
        w.addPaths({kPdf, kAgreement, kPdf});  // the duplicate is ignored
        QCOMPARE(w.sourcesModel()->sourceCount(), 2);
        QVERIFY(waitIdle(w));
        // Without a model there is no tokenizer: the sources are read but not counted.
        QCOMPARE(w.sourcesModel()->index(0, SourcesModel::TokensColumn).data().toString(), QStringLiteral("not counted"));
        QCOMPARE(w.sourcesPane()->meter()->used(), 0);

        QSignalSpy ready(&w, &MainWindow::modelReady);
        AppSettings s = w.appSettings();
        s.modelDir = m_model;
        w.setAppSettings(s);  // loads the model
        QVERIFY(ready.wait(60000));
        QVERIFY(waitIdle(w));
        QVERIFY(w.session()->modelInfo().randomWeights);

        // Reference: the same files read and counted here with the model's tokenizer.
        auto tok = m1::tokenizer::load(m_model.toStdString() + "/tokenizer.json");
        qint64 expected = 0;
        for (const QString& path : {kPdf, kAgreement})
            for (const auto& src : m1::ingest::read_path(path.toStdString()).sources)
                for (const auto& seg : src.segments) expected += qint64(tok->count(seg.text));
        QVERIFY(expected > 0);
        QCOMPARE(w.sourcesModel()->includedTokens(), expected);
        BudgetMeter* meter = w.sourcesPane()->meter();
        QCOMPARE(meter->used(), expected);
        QCOMPARE(meter->contextTokens(), w.session()->contextTokens());
        QCOMPARE(meter->outputReserve(), qint64(AppSettings::kBudget40K));
        QVERIFY(meter->text().contains(QLocale().toString(expected)));

        // Leaving the PDF out moves the meter by exactly its tokens.
        const qint64 pdfTokens = w.sourcesModel()->index(0, 0).data(SourcesModel::TokensRole).toLongLong();
        QVERIFY(w.sourcesModel()->setData(w.sourcesModel()->index(0, 0), Qt::Unchecked, Qt::CheckStateRole));
        QCOMPARE(meter->used(), expected - pdfTokens);
        QVERIFY(w.sourcesModel()->setData(w.sourcesModel()->index(0, 0), Qt::Checked, Qt::CheckStateRole));
        QCOMPARE(meter->used(), expected);
    }

    void askStreamsAndStopEndsItMidStream() {
        MainWindow& w = *m_window;
        QSignalSpy finished(w.session(), &SessionController::turnFinished);
        QSignalSpy prefill(w.session(), &SessionController::prefillProgress);
        QSignalSpy context(w.session(), &SessionController::contextReady);
        w.conversationPane()->input()->setPlainText(QStringLiteral("Which clause limits liability?"));
        QTest::keyClick(w.conversationPane()->input(), Qt::Key_Return, Qt::ControlModifier);  // Ctrl+Enter asks
        QTRY_COMPARE_WITH_TIMEOUT(w.conversationModel()->turnCount(), 1, 5000);
        QVERIFY(w.conversationPane()->stopButton()->isEnabled());
        QVERIFY(!w.conversationPane()->sendButton()->isEnabled());
        // The answer streams in (the random model never opens a think block, so everything is answer).
        QTRY_VERIFY_WITH_TIMEOUT(w.conversationModel()->turn(0).answer.size() > 40, 60000);
        QTRY_VERIFY_WITH_TIMEOUT(w.conversationPane()->renderedText().contains(w.conversationModel()->turn(0).answer.left(8).trimmed()), 2000);
        QVERIFY(w.conversationPane()->renderedText().contains(QStringLiteral("random weights")));
        QVERIFY(finished.isEmpty());
        // The sources were prefilled with progress (tokens, tokens/s, ETA in the banner) before the answer.
        QCOMPARE(context.size(), 1);
        bool prefixDone = false;
        for (const QList<QVariant>& p : prefill)
            if (p.at(3).toBool() && p.at(0).toLongLong() == p.at(1).toLongLong() && p.at(1).toLongLong() == context.first().first().toLongLong())
                prefixDone = true;
        QVERIFY(prefixDone);
        QVERIFY2(w.progressBanner()->message().contains(QStringLiteral("tok/s")) &&
                     w.progressBanner()->message().contains(QStringLiteral("ETA")),
                 qPrintable(w.progressBanner()->message()));
        QVERIFY(!w.progressBanner()->isVisible());  // gone once the answer streams
        w.conversationPane()->stopButton()->click();
        QVERIFY(finished.wait(20000));
        QVERIFY(finished.first().at(1).toBool());  // stopped
        const m1::app::Turn turn = finished.first().at(0).value<m1::app::Turn>();
        QVERIFY(turn.stats.answerTokens + turn.stats.reasoningTokens < AppSettings::kBudget40K);
        QVERIFY(!w.conversationModel()->isStreaming());
        QVERIFY(w.conversationModel()->index(0).data(ConversationModel::StoppedRole).toBool());
        QVERIFY(w.conversationPane()->sendButton()->isEnabled());
        QVERIFY(!w.conversationPane()->stopButton()->isEnabled());
        QTRY_VERIFY(w.conversationPane()->renderedText().contains(QStringLiteral("stopped")));
        QCOMPARE(w.citationsModel()->answerCount(), 1);
        QCOMPARE(w.session()->conversation().turns.size(), 1);
        // The context was built with both sources: the PDF is S1, the text file T1.
        QVERIFY(w.session()->sourceForTag(QStringLiteral("S1")));
        QVERIFY(w.session()->sourceForTag(QStringLiteral("T1")));
    }

    void reasoningStreamsThenCollapsesWhenTheAnswerStarts() {
        // The tiny engine behind a backend that frames its first 40 tokens as a think block (thinking_backend.h).
        MainWindow w(nullptr);
        w.session()->setBackendFactory([](const QString& dir, const QString& device, QString* error) {
            std::unique_ptr<m1::app::ModelBackend> b;
            if (auto engine = m1::app::EngineBackend::open(dir, device, error))
                b = std::make_unique<m1::ui::test::ThinkingBackend>(std::move(engine), 40);
            return b;
        });
        AppSettings s;
        s.modelDir = m_model;
        QSignalSpy ready(&w, &MainWindow::modelReady);
        w.setAppSettings(s);
        QVERIFY(ready.wait(60000));
        w.addPaths({kAgreement});
        QVERIFY(waitIdle(w));

        // Reasoning streams into its own section, expanded, while the model thinks.
        bool sawThinking = false;
        QMetaObject::Connection c = connect(w.conversationModel(), &ConversationModel::changed, this, [&] {
            ConversationModel* m = w.conversationModel();
            if (m->turnCount() && m->index(0).data(ConversationModel::ThinkingRole).toBool() &&
                !m->turn(0).reasoning.isEmpty() && w.reasoningPane()->sectionCount() == 1 && w.reasoningPane()->isExpanded(0))
                sawThinking = true;
        });
        QSignalSpy finished(w.session(), &SessionController::turnFinished);
        w.ask(QStringLiteral("Which clause limits liability?"));
        QTRY_VERIFY_WITH_TIMEOUT(!w.conversationModel()->turn(0).answer.isEmpty(), 60000);
        disconnect(c);
        QVERIFY(sawThinking);
        // The answer has started: the section has collapsed to its summary, the answer streams in the transcript.
        QVERIFY(!w.reasoningPane()->isExpanded(0));
        QVERIFY2(w.reasoningPane()->headerText(0).contains(QStringLiteral("Thought for ")), qPrintable(w.reasoningPane()->headerText(0)));
        QVERIFY(!w.reasoningPane()->reasoningText(0).isEmpty());
        QVERIFY(w.reasoningPane()->reasoningText(0).size() >= w.conversationModel()->turn(0).reasoning.size() - 1);
        w.stop();
        QVERIFY(finished.wait(20000));
        const m1::app::Turn t = finished.first().first().value<m1::app::Turn>();
        QCOMPARE(t.stats.reasoningTokens, 40);
        QVERIFY(w.reasoningPane()->headerText(0).endsWith(QStringLiteral("40 tokens")));
        w.conversationPane()->renderNow();
        QVERIFY(w.conversationPane()->renderedText().contains(QStringLiteral("Thought for ")));
        // Expandable per answer, in the transcript as well.
        emit w.conversationPane()->browser()->anchorClicked(QUrl(QStringLiteral("reasoning:0")));
        w.conversationPane()->renderNow();
        QVERIFY(w.conversationPane()->renderedText().contains(t.reasoning.left(10).trimmed()));
    }

    void craftedCitationsOpenThePageAndTheLines() {
        MainWindow& w = *m_window;
        const QString answer = QStringLiteral(
            "Liability is capped [T1 L34-35 \"total liability under this Agreement\"], and page two opens with "
            "[S1 p.2 \"Left engine column clause reader budget\"].");
        m1::app::Turn t;
        t.question = QStringLiteral("crafted");
        t.answer = answer;
        t.citations = m1::app::CitationParser::parse(answer);
        QCOMPARE(t.citations.size(), 2);
        w.conversationModel()->setTurns({t});
        w.conversationPane()->renderNow();

        // Click the PDF chip.
        emit w.conversationPane()->browser()->anchorClicked(QUrl(QStringLiteral("cite:0:1")));
        ViewerPane* v = w.viewer();
        QCOMPARE(v->current()->kind, ViewerLocation::Kind::Pdf);
        QCOMPARE(v->pdfView()->file(), kPdf);
        QCOMPARE(v->pdfView()->page(), 2);
        QCOMPARE(v->pdfView()->highlights().size(), 1);
        const QRectF r = v->pdfView()->highlights().first();
        QVERIFY(r.width() > 100 && r.height() > 5 && r.top() > 60 && r.top() < 200);

        // The text chip: the file's own lines 34-35, highlighted.
        emit w.conversationPane()->browser()->anchorClicked(QUrl(QStringLiteral("cite:0:0")));
        QCOMPARE(v->current()->kind, ViewerLocation::Kind::Text);
        QFile f(kAgreement);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'));
        CodeView* code = v->codeView();
        QCOMPARE(code->highlightedFirst(), 34);
        QCOMPARE(code->highlightedLast(), 35);
        QCOMPARE(code->extraSelections().size(), 2);
        QCOMPARE(code->extraSelections().at(0).cursor.block().text(), lines.at(33));
        QCOMPARE(code->extraSelections().at(1).cursor.block().text(), lines.at(34));

        // Back (Alt+Left) returns to the PDF page; the Citations pane opens citations too.
        w.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&w));
        QTest::keyClick(&w, Qt::Key_Left, Qt::AltModifier);
        QCOMPARE(v->current()->kind, ViewerLocation::Kind::Pdf);
        QVERIFY(w.openCitationText(QStringLiteral("[T1 L41 \"Either party may terminate\"]")));
        const int last = w.citationsModel()->answerCount() - 1;
        const QModelIndex idx = w.citationsModel()->citationIndex(last, 0);
        QCOMPARE(w.citationsModel()->citation(idx)->status, m1::app::Citation::Status::Verified);
        QCOMPARE(code->highlightedFirst(), 41);
        emit w.citationsView()->activated(w.citationsModel()->index(0, 0, idx.parent()));
        QCOMPARE(code->highlightedFirst(), 41);

        // An unknown tag is reported in the banner, not in a dialog.
        QVERIFY(!w.openCitationText(QStringLiteral("[S9 p.1]")));
        QVERIFY(w.errorBanner()->isVisible());
        QVERIFY(w.errorBanner()->message().contains(QStringLiteral("S9")));
    }

    void theDemoModelIsMadeOnFirstUseAndLoadingCanBeCancelled() {
        QTemporaryDir cache;
        qputenv("XDG_CACHE_HOME", cache.path().toUtf8());
        const QString demoDir = cache.filePath(QStringLiteral("m1studio/demo-model-tiny-seed1"));
        {
            // Cancelled while `m1 make-model` runs: nothing loads, no model is left behind.
            MainWindow w(nullptr);
            w.setCliPath(QStringLiteral(M1_CLI));
            QSignalSpy ready(&w, &MainWindow::modelReady);
            w.loadModel();
            QVERIFY(w.progressBanner()->isVisibleTo(&w));
            w.stop();
            QVERIFY(!w.progressBanner()->isVisibleTo(&w));
            QVERIFY(!ready.wait(1500));
            QVERIFY(!QFileInfo::exists(demoDir + QStringLiteral("/model.safetensors.index.json")));
        }
        MainWindow w(nullptr);
        w.setCliPath(QStringLiteral(M1_CLI));
        QSignalSpy ready(&w, &MainWindow::modelReady);
        w.loadModel();  // no model directory in the settings: the demo model
        QVERIFY(ready.wait(120000));
        QVERIFY(QFileInfo::exists(demoDir + QStringLiteral("/model.safetensors.index.json")));
        QVERIFY(w.session()->modelInfo().randomWeights);
        bool labelled = false;
        for (QLabel* l : w.statusBar()->findChildren<QLabel*>())
            labelled = labelled || l->text().contains(QStringLiteral("RANDOM WEIGHTS"));
        QVERIFY(labelled);
        qunsetenv("XDG_CACHE_HOME");
    }

    void askThroughAnOpenAiCompatibleEndpoint() {
        // m1 serve with the tiny model stands in for a vLLM cluster; the app talks to it like to any endpoint.
        QProcess server;
        server.setProcessChannelMode(QProcess::MergedChannels);
        server.start(QStringLiteral(M1_CLI), {QStringLiteral("serve"), QStringLiteral("--model"), m_model,
                                              QStringLiteral("--port"), QStringLiteral("0")});
        QVERIFY(server.waitForStarted());
        QString url, output;
        static const QRegularExpression re(QStringLiteral("(http://127\\.0\\.0\\.1:\\d+/v1)"));
        QTRY_VERIFY_WITH_TIMEOUT((output += QString::fromUtf8(server.readAll()), url = re.match(output).captured(1), !url.isEmpty()), 60000);

        MainWindow w(nullptr);
        AppSettings s;
        s.endpoint = url;
        s.tokenizerFile = m_model + QStringLiteral("/tokenizer.json");
        QSignalSpy ready(&w, &MainWindow::modelReady);
        w.setAppSettings(s);
        QVERIFY(ready.wait(60000));
        QCOMPARE(w.session()->modelInfo().backend, QStringLiteral("remote"));
        QVERIFY(w.session()->modelInfo().randomWeights);  // m1 serve says it is a demo model
        w.addPaths({kAgreement});
        QVERIFY(waitIdle(w));
        QVERIFY(w.sourcesModel()->includedTokens() > 0);  // counted with the endpoint's tokenizer
        QSignalSpy finished(w.session(), &SessionController::turnFinished);
        w.ask(QStringLiteral("Which clause limits liability?"));
        QTRY_VERIFY_WITH_TIMEOUT(!w.conversationModel()->turn(0).answer.isEmpty() || !finished.isEmpty(), 60000);
        w.stop();
        QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty(), 20000);
        QVERIFY(!w.conversationModel()->turn(0).answer.isEmpty());
        server.terminate();
        QVERIFY(server.waitForFinished(10000));
    }

    void repositoryRefsAreListed() {
        const QString repo = m1::ui::test::copyFixtureRepo(m_dir);
        RepositoryDialog d;
        d.setLocation(repo);
        QSignalSpy listed(&d, &RepositoryDialog::refsListed);
        d.listRefs();
        QVERIFY(listed.wait(20000));
        QStringList expected = QString::fromUtf8(m1::ui::test::run(
            QStringLiteral("git"), {QStringLiteral("-c"), QStringLiteral("safe.directory=*"), QStringLiteral("for-each-ref"),
                                    QStringLiteral("--format=%(refname:short)"), QStringLiteral("refs/heads"),
                                    QStringLiteral("refs/tags")}, repo)).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QVERIFY(expected.contains(QStringLiteral("feature")));
        QVERIFY(expected.contains(QStringLiteral("v1.0")));
        QStringList got = d.refChoices();
        got.sort();
        expected.sort();
        QCOMPARE(got, expected);
        QCOMPARE(d.ref(), QStringLiteral("main"));  // HEAD's branch is preselected
    }

    void settingsPersistThroughTheInjectedStore() {
        AppSettings s = m_window->appSettings();
        s.temperature = 0.7;
        s.topP = 0.9;
        s.outputBudget = AppSettings::kBudget80K;
        s.systemPreset = QStringLiteral("math");
        m_window->setAppSettings(s);
        QCOMPARE(m_window->sourcesPane()->meter()->outputReserve(), qint64(AppSettings::kBudget80K));
        QSettings again(m_dir.filePath(QStringLiteral("settings.ini")), QSettings::IniFormat);
        QCOMPARE(AppSettings::load(again), s);
        // Defaults: temperature 1.0, top-p 0.95, 40K.
        QSettings empty(m_dir.filePath(QStringLiteral("none.ini")), QSettings::IniFormat);
        const AppSettings d = AppSettings::load(empty);
        QCOMPARE(d.temperature, 1.0);
        QCOMPARE(d.topP, 0.95);
        QCOMPARE(d.outputBudget, AppSettings::kBudget40K);
        QCOMPARE(d.backend, QStringLiteral("cpu"));
    }

    void workspaceSavesAndReportExports() {
        MainWindow& w = *m_window;
        const QString file = m_dir.filePath(QStringLiteral("ws.json"));
        QString error;
        QVERIFY2(w.saveWorkspace(file, &error), qPrintable(error));
        m1::app::Workspace ws;
        QVERIFY2(ws.load(file, &error), qPrintable(error));
        QCOMPARE(ws.sources().size(), 2);
        QCOMPARE(ws.absolutePath(ws.sources()[0]), kPdf);
        QCOMPARE(ws.settings().sampling.maxOutputTokens, AppSettings::kBudget80K);

        const QString report = m_dir.filePath(QStringLiteral("report.md"));
        QVERIFY2(w.exportReport(report, &error), qPrintable(error));
        QFile f(report);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(f.readAll());
        QVERIFY(text.contains(QStringLiteral("Which clause limits liability?")));

        for (const QString ext : {QStringLiteral("html"), QStringLiteral("pdf")}) {
            const QString out = m_dir.filePath(QStringLiteral("report.") + ext);
            QVERIFY2(w.exportReport(out, &error), qPrintable(error));
            QFile r(out);
            QVERIFY(r.open(QIODevice::ReadOnly));
            const QByteArray head = r.read(5);
            QCOMPARE(head == "%PDF-", ext == QLatin1String("pdf"));
        }

        const QString session = m_dir.filePath(QStringLiteral("session.json"));
        QVERIFY2(w.saveSession(session, &error), qPrintable(error));
        MainWindow other(nullptr);
        QVERIFY2(other.openSession(session, &error), qPrintable(error));
        QCOMPARE(other.conversationModel()->turnCount(), 1);
        QCOMPARE(other.sourcesModel()->sourceCount(), 2);
    }

    void shortcutsAreBound() {
        QList<QKeySequence> bound;
        for (QAction* a : m_window->findChildren<QAction*>()) bound += a->shortcuts();
        for (const QKeySequence& k : {QKeySequence(QKeySequence::Open), QKeySequence(Qt::CTRL | Qt::Key_Return),
                                      QKeySequence(Qt::Key_Escape), QKeySequence(QKeySequence::Find),
                                      QKeySequence(Qt::ALT | Qt::Key_Left), QKeySequence(Qt::ALT | Qt::Key_Right)})
            QVERIFY2(bound.contains(k), qPrintable(k.toString()));
    }

    void everyControlHasAnAccessibleName() {
        for (QWidget* wdg : m_window->findChildren<QWidget*>()) {
            const bool control = qobject_cast<QAbstractButton*>(wdg) || qobject_cast<QLineEdit*>(wdg) ||
                                 qobject_cast<QPlainTextEdit*>(wdg) || qobject_cast<QAbstractItemView*>(wdg) ||
                                 qobject_cast<QAbstractSpinBox*>(wdg);
            if (!control || !wdg->isVisibleTo(m_window.get())) continue;
            // Dock title-bar buttons are Qt's own and carry their own accessible text.
            if (wdg->parent() && qobject_cast<QDockWidget*>(wdg->parent())) continue;
            if (QString::fromLatin1(wdg->metaObject()->className()).startsWith(QLatin1String("QToolBarExtension"))) continue;
            // Parts of composite controls (a view's header, a spin box's line edit) are named by their owner.
            if (qobject_cast<QHeaderView*>(wdg) || qobject_cast<QAbstractSpinBox*>(wdg->parent())) continue;
            QVERIFY2(!wdg->accessibleName().isEmpty() ||
                         (qobject_cast<QAbstractButton*>(wdg) && !qobject_cast<QAbstractButton*>(wdg)->text().isEmpty()),
                     qPrintable(QStringLiteral("%1 %2").arg(wdg->metaObject()->className(), wdg->objectName())));
        }
    }

    void cleanupTestCase() { m_window.reset(); }
};

QTEST_MAIN(TestFlows)
#include "tst_flows.moc"
