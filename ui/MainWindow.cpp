#include "ui/MainWindow.h"

#include "app/citations/CitationParser.h"
#include "app/citations/CitationVerifier.h"
#include "app/context/ContextBuilder.h"
#include "app/report/ReportWriter.h"
#include "ui/Metatypes.h"
#include "ui/RepositoryDialog.h"
#include "ui/SettingsDialog.h"
#include "ui/models/CitationsModel.h"
#include "ui/models/ConversationModel.h"
#include "ui/models/SourcesModel.h"
#include "ui/panes/Banner.h"
#include "ui/panes/BudgetMeter.h"
#include "ui/panes/ConversationPane.h"
#include "ui/panes/ReasoningPane.h"
#include "ui/panes/SourcesPane.h"
#include "ui/viewer/CitationTarget.h"
#include "ui/viewer/ViewerPane.h"
#include "ui/workers/DemoModel.h"
#include "ui/workers/SessionController.h"
#include "ui/workers/SourceIngestor.h"

#include <QAction>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QMenuBar>
#include <QPlainTextEdit>
#include <QSettings>
#include <QStatusBar>
#include <QStyle>
#include <QToolBar>
#include <QTreeView>
#include <QVBoxLayout>

namespace m1::ui {

QStringList MainWindow::dockTitles() {
    return {tr("Sources"), tr("Viewer"), tr("Conversation"), tr("Reasoning"), tr("Citations")};
}

MainWindow::MainWindow(QSettings* settings, QWidget* parent) : QMainWindow(parent), m_settings(settings) {
    registerMetatypes();
    if (!m_settings) {
        // In memory only: an INI file that is never written (no path).
        m_ownedSettings = std::make_unique<QSettings>(QString(), QSettings::IniFormat);
        m_settings = m_ownedSettings.get();
    }
    m_appSettings = AppSettings::load(*m_settings);
    m_cliPath = DemoModel::defaultCli();
    setWindowTitle(tr("M1 Studio"));
    setObjectName(QStringLiteral("MainWindow"));
    setDockNestingEnabled(true);
    resize(1440, 900);

    m_sourcesModel = new SourcesModel(this);
    m_conversationModel = new ConversationModel(this);
    m_citationsModel = new CitationsModel(this);
    m_session = new SessionController(this);
    m_ingestor = new SourceIngestor(m_sourcesModel, this);
    m_demoModel = new DemoModel(this);

    m_sourcesPane = new SourcesPane(m_sourcesModel);
    m_viewer = new ViewerPane;
    m_conversationPane = new ConversationPane(m_conversationModel);
    m_reasoningPane = new ReasoningPane(m_conversationModel);
    m_citationsView = new QTreeView;
    m_citationsView->setModel(m_citationsModel);
    m_citationsView->setAccessibleName(tr("Citations"));
    m_citationsView->setUniformRowHeights(true);
    m_citationsView->setAlternatingRowColors(true);
    m_citationsView->setToolTip(tr("Double-click or press Enter to open a citation in the viewer"));
    m_citationsView->header()->setStretchLastSection(false);
    m_citationsView->header()->setSectionResizeMode(CitationsModel::QuoteColumn, QHeaderView::Stretch);
    m_citationsView->header()->setSectionResizeMode(CitationsModel::TagColumn, QHeaderView::Interactive);
    m_citationsView->header()->resizeSection(CitationsModel::TagColumn, 70);
    m_citationsView->header()->setSectionResizeMode(CitationsModel::LocationColumn, QHeaderView::ResizeToContents);
    m_citationsView->header()->setSectionResizeMode(CitationsModel::StatusColumn, QHeaderView::ResizeToContents);

    // Answer rows span the whole width; their citations fill the columns.
    connect(m_citationsModel, &QAbstractItemModel::rowsInserted, this, [this](const QModelIndex& parent, int first, int last) {
        if (parent.isValid()) return;
        for (int r = first; r <= last; ++r) m_citationsView->setFirstColumnSpanned(r, QModelIndex(), true);
    });

    // Sources over Citations | Conversation over Reasoning | Viewer.
    const QStringList titles = dockTitles();
    QDockWidget* sourcesDock = addPane(titles[0], m_sourcesPane, Qt::LeftDockWidgetArea);
    QDockWidget* conversationDock = addPane(titles[2], m_conversationPane, Qt::RightDockWidgetArea);
    QDockWidget* viewerDock = addPane(titles[1], m_viewer, Qt::RightDockWidgetArea);
    QDockWidget* reasoningDock = addPane(titles[3], m_reasoningPane, Qt::RightDockWidgetArea);
    QDockWidget* citationsDock = addPane(titles[4], m_citationsView, Qt::LeftDockWidgetArea);
    splitDockWidget(conversationDock, viewerDock, Qt::Horizontal);
    splitDockWidget(conversationDock, reasoningDock, Qt::Vertical);
    splitDockWidget(sourcesDock, citationsDock, Qt::Vertical);
    resizeDocks({sourcesDock, conversationDock, viewerDock}, {340, 560, 540}, Qt::Horizontal);
    resizeDocks({conversationDock, reasoningDock}, {600, 220}, Qt::Vertical);
    resizeDocks({sourcesDock, citationsDock}, {540, 300}, Qt::Vertical);

    // A quiet look: titled docks with a light header, no heavy frames.
    setStyleSheet(QStringLiteral(
        "QDockWidget { font-weight: 600; }"
        "QDockWidget::title { background: #eef0f3; padding: 5px 8px; border-bottom: 1px solid #dde1e6; }"
        "QDockWidget > QWidget { font-weight: normal; }"
        "QToolBar { border-bottom: 1px solid #dde1e6; spacing: 4px; padding: 2px 4px; }"));

    m_progressBanner = new Banner(Banner::Kind::Progress);
    m_errorBanner = new Banner(Banner::Kind::Error);
    createActions();

    m_statusLabel = new QLabel(tr("No workspace"));
    m_statusLabel->setAccessibleName(tr("Workspace status"));
    m_modelLabel = new QLabel(tr("No model"));
    m_modelLabel->setAccessibleName(tr("Model status"));
    statusBar()->addWidget(m_statusLabel, 1);
    statusBar()->addPermanentWidget(m_modelLabel);
    connectWorkers();
    updateBudget();
}

MainWindow::~MainWindow() {
    // Stop the workers before the models they report into go away.
    m_session->stop();
    m_ingestor->cancelAll();
    delete m_ingestor;
    delete m_session;
}

void MainWindow::closeEvent(QCloseEvent* event) {
    m_session->stop();
    m_ingestor->cancelAll();
    QMainWindow::closeEvent(event);
}

QDockWidget* MainWindow::addPane(const QString& title, QWidget* content, Qt::DockWidgetArea area) {
    auto* dock = new QDockWidget(title, this);
    dock->setObjectName(title + QStringLiteral("Dock"));
    dock->setWidget(content);
    dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable |
                      QDockWidget::DockWidgetClosable);
    addDockWidget(area, dock);
    return dock;
}

QDockWidget* MainWindow::dock(const QString& title) const {
    return findChild<QDockWidget*>(title + QStringLiteral("Dock"));
}

void MainWindow::createActions() {
    auto* addFiles = new QAction(style()->standardIcon(QStyle::SP_FileIcon), tr("Add Files…"), this);
    addFiles->setShortcut(QKeySequence::Open);
    addFiles->setToolTip(tr("Add PDFs, contracts and text files (Ctrl+O)"));
    connect(addFiles, &QAction::triggered, this, &MainWindow::chooseFiles);
    auto* addFolder = new QAction(style()->standardIcon(QStyle::SP_DirIcon), tr("Add Folder…"), this);
    connect(addFolder, &QAction::triggered, this, &MainWindow::chooseFolder);
    auto* addRepo = new QAction(style()->standardIcon(QStyle::SP_DriveNetIcon), tr("Add Repository…"), this);
    connect(addRepo, &QAction::triggered, this, &MainWindow::chooseRepository);

    auto fileDialogAction = [this](const QString& text, auto handler) {
        auto* a = new QAction(text, this);
        connect(a, &QAction::triggered, this, handler);
        return a;
    };
    QAction* openWs = fileDialogAction(tr("Open Workspace…"), [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Open workspace"), {}, tr("Workspaces (*.json)"));
        QString error;
        if (!f.isEmpty() && !openWorkspace(f, &error)) showError(error);
    });
    QAction* saveWs = fileDialogAction(tr("Save Workspace…"), [this] {
        const QString f = QFileDialog::getSaveFileName(this, tr("Save workspace"), m_workspace.file(), tr("Workspaces (*.json)"));
        QString error;
        if (!f.isEmpty() && !saveWorkspace(f, &error)) showError(error);
    });
    saveWs->setShortcut(QKeySequence::Save);
    QAction* openSess = fileDialogAction(tr("Open Session…"), [this] {
        const QString f = QFileDialog::getOpenFileName(this, tr("Open session"), {}, tr("Sessions (*.json)"));
        QString error;
        if (!f.isEmpty() && !openSession(f, &error)) showError(error);
    });
    QAction* saveSess = fileDialogAction(tr("Save Session…"), [this] {
        const QString f = QFileDialog::getSaveFileName(this, tr("Save session"), {}, tr("Sessions (*.json)"));
        QString error;
        if (!f.isEmpty() && !saveSession(f, &error)) showError(error);
    });
    QAction* exportAct = fileDialogAction(tr("Export Report…"), [this] {
        const QString f = QFileDialog::getSaveFileName(this, tr("Export the conversation"), {},
                                                       tr("Markdown (*.md);;HTML (*.html);;PDF (*.pdf)"));
        QString error;
        if (!f.isEmpty() && !exportReport(f, &error)) showError(error);
    });
    exportAct->setIcon(style()->standardIcon(QStyle::SP_DialogSaveButton));
    QAction* settings = fileDialogAction(tr("Model and Settings…"), [this] {
        SettingsDialog d(m_appSettings, this);
        if (d.exec() == QDialog::Accepted) setAppSettings(d.settings());
    });
    settings->setIcon(style()->standardIcon(QStyle::SP_ComputerIcon));
    settings->setShortcut(QKeySequence::Preferences);
    QAction* quit = fileDialogAction(tr("Quit"), [this] { close(); });
    quit->setShortcut(QKeySequence::Quit);

    auto* askAct = new QAction(tr("Ask"), this);
    askAct->setShortcuts({QKeySequence(Qt::CTRL | Qt::Key_Return), QKeySequence(Qt::CTRL | Qt::Key_Enter)});
    askAct->setShortcutContext(Qt::WindowShortcut);
    connect(askAct, &QAction::triggered, this, [this] { ask(m_conversationPane->question()); });
    auto* stopAct = new QAction(tr("Stop"), this);
    stopAct->setShortcut(QKeySequence(Qt::Key_Escape));
    stopAct->setShortcutContext(Qt::WindowShortcut);
    connect(stopAct, &QAction::triggered, this, &MainWindow::stop);
    auto* findAct = new QAction(tr("Find in Document"), this);
    findAct->setShortcut(QKeySequence::Find);
    findAct->setShortcutContext(Qt::WindowShortcut);
    connect(findAct, &QAction::triggered, this, [this] {
        dock(tr("Viewer"))->raise();
        m_viewer->focusFind();
    });
    addAction(askAct);
    addAction(stopAct);
    addAction(findAct);
    addAction(m_viewer->backAction());
    addAction(m_viewer->forwardAction());

    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addActions({addFiles, addFolder, addRepo});
    file->addSeparator();
    file->addActions({openWs, saveWs, openSess, saveSess});
    file->addSeparator();
    file->addAction(exportAct);
    file->addSeparator();
    file->addAction(quit);
    QMenu* ask = menuBar()->addMenu(tr("&Ask"));
    ask->addActions({askAct, stopAct});
    ask->addSeparator();
    ask->addAction(settings);
    QMenu* view = menuBar()->addMenu(tr("&View"));
    view->addActions({m_viewer->backAction(), m_viewer->forwardAction(), findAct});
    view->addSeparator();
    for (const QString& t : dockTitles()) view->addAction(dock(t)->toggleViewAction());

    // Toolbar and banners sit together above the docks, across the whole window.
    auto* toolbar = new QToolBar(tr("Main"));
    toolbar->setAccessibleName(tr("Main toolbar"));
    toolbar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    toolbar->setIconSize(QSize(16, 16));
    toolbar->addActions({addFiles, addFolder, addRepo});
    toolbar->addSeparator();
    toolbar->addAction(settings);
    toolbar->addAction(exportAct);
    auto* top = new QWidget;
    auto* topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->setSpacing(0);
    topLayout->addWidget(menuBar());
    topLayout->addWidget(toolbar);
    topLayout->addWidget(m_progressBanner);
    topLayout->addWidget(m_errorBanner);
    setMenuWidget(top);

    connect(m_sourcesPane, &SourcesPane::addFilesRequested, this, &MainWindow::chooseFiles);
    connect(m_sourcesPane, &SourcesPane::addFolderRequested, this, &MainWindow::chooseFolder);
    connect(m_sourcesPane, &SourcesPane::addRepositoryRequested, this, &MainWindow::chooseRepository);
}

void MainWindow::connectWorkers() {
    // Sources.
    connect(m_sourcesModel, &SourcesModel::totalsChanged, this, [this] { updateBudget(); });
    connect(m_sourcesModel, &SourcesModel::pathsDropped, this, &MainWindow::addPaths);
    connect(m_sourcesPane, &SourcesPane::removeRequested, this, &MainWindow::removeSources);
    connect(m_sourcesPane, &SourcesPane::cancelRequested, m_ingestor, &SourceIngestor::cancelAll);
    connect(m_sourcesPane, &SourcesPane::activated, this, &MainWindow::openSourceRow);
    connect(m_ingestor, &SourceIngestor::progress, m_sourcesPane, &SourcesPane::showProgress);
    connect(m_ingestor, &SourceIngestor::idle, this, [this] {
        m_sourcesPane->hideProgress();
        updateStatus();
        emit sourcesIdle();
    });
    connect(m_ingestor, &SourceIngestor::failed, this, [this](const QString& source, const QString& error) {
        showError(tr("Could not read %1.").arg(source), error);
    });

    // Model.
    connect(m_demoModel, &DemoModel::ready, this, [this](const QString& dir) {
        m_session->openModel(dir, m_appSettings.backend);
    });
    connect(m_demoModel, &DemoModel::failed, this, [this](const QString& error) {
        m_loadingModel = false;
        m_progressBanner->hide();
        showError(tr("The demo model could not be made."), error);
    });
    connect(m_session, &SessionController::modelOpening, this, [this](const QString& dir) {
        m_progressBanner->showProgress(tr("Loading the model from %1…").arg(dir), 0, 0);
    });
    connect(m_session, &SessionController::modelOpened, this, [this](const m1::app::ModelInfo& info, qint64) {
        m_loadingModel = false;
        m_progressBanner->hide();
        m_conversationModel->setModelInfo(info);
        m_ingestor->setTokenizer(m_session->tokenizer());
        m_modelLabel->setText(info.randomWeights ? tr("Model: %1 · RANDOM WEIGHTS (answers are noise) · %2").arg(info.name, info.backend)
                                                 : tr("Model: %1 · %2").arg(info.name, info.backend));
        m_modelLabel->setStyleSheet(info.randomWeights ? QStringLiteral("color: #92400e;") : QString());
        updateBudget();
        emit modelReady();
    });
    connect(m_session, &SessionController::modelFailed, this, [this](const QString& error) {
        m_loadingModel = false;
        m_progressBanner->hide();
        m_modelLabel->setText(tr("No model"));
        showError(tr("The model could not be loaded."), error);
    });
    connect(m_progressBanner, &Banner::cancelRequested, this, &MainWindow::stop);

    // Asking.
    connect(m_conversationPane, &ConversationPane::askRequested, this, &MainWindow::ask);
    connect(m_conversationPane, &ConversationPane::stopRequested, this, &MainWindow::stop);
    connect(m_conversationPane, &ConversationPane::citationActivated, this,
            qOverload<int, int>(&MainWindow::openCitation));
    connect(m_session, &SessionController::busyChanged, m_conversationPane, &ConversationPane::setBusy);
    connect(m_session, &SessionController::prefillProgress, this,
            [this](qint64 done, qint64 total, double seconds, bool prefix) {
                const double rate = seconds > 0 ? double(done) / seconds : 0;
                const double eta = done > 0 ? seconds * double(total - done) / double(done) : 0;
                const QLocale l;
                m_progressBanner->showProgress(
                    tr("%1: %2 / %3 tokens · %4 tok/s · ETA %5 s")
                        .arg(prefix ? tr("Reading the sources into the model") : tr("Reading the question"),
                             l.toString(done), l.toString(total), l.toString(qRound(rate)), l.toString(qRound(eta))),
                    done, total);
                if (done >= total) m_progressBanner->hide();
            });
    connect(m_session, &SessionController::reasoningDelta, this, [this](const QString& text, qint64 tokens) {
        m_progressBanner->hide();
        m_conversationModel->appendReasoning(text, tokens);
    });
    connect(m_session, &SessionController::answerDelta, this, [this](const QString& text) {
        m_progressBanner->hide();
        m_conversationModel->appendAnswer(text);
    });
    connect(m_session, &SessionController::citationFound, this, [this](const m1::app::Citation& c) {
        m_conversationModel->addCitation(c);
        m_citationsModel->addCitation(m_citationsModel->answerCount() - 1, c);
    });
    connect(m_session, &SessionController::turnFinished, this, [this](const m1::app::Turn& turn, bool stopped) {
        m_progressBanner->hide();
        m_conversationModel->finishTurn(turn, stopped);
        m_citationsModel->setCitations(m_citationsModel->answerCount() - 1, turn.citations);
        m_citationsView->expandAll();
        statusBar()->showMessage(stopped ? tr("Stopped.") : tr("Answered."), 4000);
    });
    connect(m_session, &SessionController::failed, this, [this](const QString& error) {
        m_progressBanner->hide();
        if (m_conversationModel->isStreaming()) {
            m1::app::Turn t;
            t.question = m_conversationModel->turn(m_conversationModel->turnCount() - 1).question;
            m_conversationModel->finishTurn(t, true);
        }
        showError(tr("The question could not be answered."), error);
    });
    connect(m_citationsView, &QTreeView::activated, this, [this](const QModelIndex& index) {
        if (const m1::app::Citation* c = m_citationsModel->citation(index)) openCitation(*c);
    });
}

void MainWindow::showError(const QString& message, const QString& details) {
    m_errorBanner->showError(message, details);
}

// ---- sources -------------------------------------------------------------------------------------------------------

void MainWindow::showWorkspace(const m1::app::Workspace& workspace) {
    m_ingestor->cancelAll();
    m_sourcesModel->clear();
    m_workspace = workspace;
    for (const m1::app::WorkspaceSource& s : workspace.sources()) addSource(s, workspace.absolutePath(s));
    setWindowTitle(tr("%1 — M1 Studio").arg(workspace.name()));
    updateStatus();
}

void MainWindow::addSource(const m1::app::WorkspaceSource& source, const QString& absolutePath) {
    if (m_sourcesModel->rowOfPath(absolutePath) >= 0) return;
    const int row = m_sourcesModel->addSource(source, absolutePath);
    m_ingestor->read(row);
    updateStatus();
}

void MainWindow::addPaths(const QStringList& paths) {
    for (const QString& p : paths) {
        m1::app::WorkspaceSource s;
        s.path = QFileInfo(p).absoluteFilePath();
        addSource(s, s.path);
    }
}

void MainWindow::addRepository(const QString& location, const QString& ref) {
    m1::app::WorkspaceSource s;
    const bool url = location.contains(QLatin1String("://")) || location.contains(QLatin1Char('@'));
    s.path = url ? location : QFileInfo(location).absoluteFilePath();
    s.kind = QStringLiteral("git");
    s.ref = ref;
    addSource(s, s.path);
}

void MainWindow::removeSources(QList<int> rows) {
    std::sort(rows.begin(), rows.end(), std::greater<int>());
    for (int row : rows) {
        m_ingestor->cancel(m_sourcesModel->absolutePath(row));
        m_sourcesModel->removeSource(row);
    }
    updateStatus();
}

void MainWindow::chooseFiles() {
    const QStringList files = QFileDialog::getOpenFileNames(
        this, tr("Add sources"), {}, tr("Documents and text (*.pdf *.docx *.md *.txt *.*);;All files (*)"));
    addPaths(files);
}

void MainWindow::chooseFolder() {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Add a folder"));
    if (!dir.isEmpty()) addPaths({dir});
}

void MainWindow::chooseRepository() {
    RepositoryDialog d(this);
    if (d.exec() == QDialog::Accepted && !d.location().isEmpty()) addRepository(d.location(), d.ref());
}

void MainWindow::updateBudget() {
    const qint64 context = m_session->hasModel() ? m_session->contextTokens() : 1000000;
    m_sourcesPane->meter()->setValues(m_sourcesModel->includedTokens(), context, m_appSettings.outputBudget);
}

void MainWindow::updateStatus() {
    const QString name = m_workspace.name().isEmpty() ? tr("Untitled workspace") : m_workspace.name();
    m_statusLabel->setText(tr("%1 · %n source(s)", nullptr, m_sourcesModel->sourceCount()).arg(name));
}

m1::app::Workspace MainWindow::workspace() const {
    m1::app::Workspace ws = m_workspace;
    if (ws.name().isEmpty()) ws.setName(tr("Untitled workspace"));
    ws.sources().clear();
    for (int row = 0; row < m_sourcesModel->sourceCount(); ++row) {
        m1::app::WorkspaceSource s = m_sourcesModel->workspaceSource(row);
        s.path = m_sourcesModel->absolutePath(row);
        if (s.kind == QLatin1String("folder")) s.kind.clear();
        ws.sources().append(s);
    }
    m1::app::WorkspaceSettings& st = ws.settings();
    st.model = m_appSettings.modelDir;
    st.endpoint = m_appSettings.endpoint;
    st.backend = m_appSettings.backend;
    st.sampling = m_appSettings.sampling();
    st.systemPreset = m_appSettings.systemPreset;
    return ws;
}

bool MainWindow::openWorkspace(const QString& file, QString* error) {
    m1::app::Workspace ws;
    if (!ws.load(file, error)) return false;
    showWorkspace(ws);
    return true;
}

bool MainWindow::saveWorkspace(const QString& file, QString* error) {
    m1::app::Workspace ws = workspace();
    if (!ws.save(file, error)) return false;
    m_workspace = ws;
    statusBar()->showMessage(tr("Saved the workspace to %1").arg(file), 4000);
    return true;
}

bool MainWindow::openSession(const QString& file, QString* error) {
    m1::app::Conversation conv;
    if (!conv.load(file, error)) return false;
    if (!conv.workspace.isEmpty()) {
        m1::app::Workspace ws;
        if (ws.fromJson(conv.workspace, file, error)) showWorkspace(ws);
    }
    m_session->setConversation(conv);
    m_conversationModel->setModelInfo(conv.model);
    m_conversationModel->setTurns(conv.turns);
    m_citationsModel->clear();
    for (qsizetype i = 0; i < conv.turns.size(); ++i) {
        m_citationsModel->addAnswer(conv.turns[i].question);
        m_citationsModel->setCitations(int(i), conv.turns[i].citations);
    }
    m_citationsView->expandAll();
    return true;
}

bool MainWindow::saveSession(const QString& file, QString* error) {
    m1::app::Conversation conv = m_session->conversation();
    conv.workspace = workspace().toJson();
    return conv.save(file, error);
}

bool MainWindow::exportReport(const QString& file, QString* error) {
    m1::app::Conversation conv = m_session->conversation();
    if (conv.turns.isEmpty()) {
        *error = tr("There is nothing to export yet: ask a question first.");
        return false;
    }
    conv.workspace = workspace().toJson();
    if (!m1::app::ReportWriter::write(conv, file, {}, error)) return false;
    statusBar()->showMessage(tr("Exported the conversation to %1").arg(file), 4000);
    return true;
}

// ---- model and questions -------------------------------------------------------------------------------------------

void MainWindow::setAppSettings(const AppSettings& settings) {
    const bool reload = settings.modelDir != m_appSettings.modelDir || settings.backend != m_appSettings.backend ||
                        settings.endpoint != m_appSettings.endpoint || settings.tokenizerFile != m_appSettings.tokenizerFile;
    m_appSettings = settings;
    m_appSettings.save(*m_settings);
    updateBudget();
    if (reload) loadModel();
}

void MainWindow::loadModel() {
    m_loadingModel = true;
    if (!m_appSettings.endpoint.isEmpty()) {
        m_session->openRemote(m_appSettings.endpoint, m_appSettings.tokenizerFile);
    } else if (m_appSettings.modelDir.isEmpty()) {
        m_progressBanner->showProgress(tr("Preparing the demo model (tiny, random weights)…"), 0, 0);
        m_demoModel->ensure(m_cliPath);
    } else {
        m_session->openModel(m_appSettings.modelDir, m_appSettings.backend);
    }
}

void MainWindow::ask(const QString& question) {
    if (question.trimmed().isEmpty() || m_session->isBusy()) return;
    if (!m_session->hasModel()) {
        showError(m_loadingModel ? tr("The model is still loading; ask again in a moment.")
                                 : tr("No model is loaded. Choose one in Model and Settings."));
        return;
    }
    if (m_ingestor->isBusy()) {
        showError(tr("Sources are still being read; ask again when the Sources pane is done."));
        return;
    }
    if (m_sourcesPane->meter()->overBudget()) {
        QStringList perSource{m_sourcesPane->meter()->text()};
        for (int row = 0; row < m_sourcesModel->sourceCount(); ++row) {
            const QModelIndex i = m_sourcesModel->index(row, 0);
            if (i.data(Qt::CheckStateRole).toInt() != Qt::Unchecked)
                perSource << tr("%1: %2 tokens").arg(i.data().toString(), QLocale().toString(i.data(SourcesModel::TokensRole).toLongLong()));
        }
        showError(tr("The included sources do not fit the context: leave some out in the Sources pane."),
                  perSource.join(QLatin1Char('\n')));
        return;
    }
    m_errorBanner->hide();
    const QString system = m1::app::ContextBuilder::systemPromptPreset(m_appSettings.systemPreset);
    m_session->setSources(m_sourcesModel->contextSources(), system, m_appSettings.outputBudget);
    m_conversationModel->beginTurn(question.trimmed());
    m_citationsModel->addAnswer(question.trimmed());
    m_conversationPane->clearQuestion();
    m_session->ask(question.trimmed(), m_appSettings.sampling());
}

void MainWindow::stop() {
    m_session->stop();
    if (m_loadingModel) {
        m_demoModel->cancel();
        m_loadingModel = false;
        m_progressBanner->hide();
        statusBar()->showMessage(tr("Model loading cancelled."), 4000);
    }
}

// ---- viewer --------------------------------------------------------------------------------------------------------

bool MainWindow::openCitation(int turn, int index) {
    if (turn < 0 || turn >= m_conversationModel->turnCount()) return false;
    const m1::app::Turn& t = m_conversationModel->turn(turn);
    if (index < 0 || index >= t.citations.size()) return false;
    m_citationsView->setCurrentIndex(m_citationsModel->citationIndex(turn, index));
    return openCitation(t.citations[index]);
}

bool MainWindow::openCitation(const m1::app::Citation& c) {
    std::shared_ptr<const m1::ingest::source> src = m_session->sourceForTag(c.tag);
    if (!src) {
        showError(tr("%1 names no source of the current context.").arg(c.tag), c.raw);
        return false;
    }
    const ViewerLocation l = locationForCitation(*src, c);
    QString error;
    if (!m_viewer->open(l, &error)) {
        showError(tr("The viewer could not open %1.").arg(c.raw), error);
        return false;
    }
    dock(tr("Viewer"))->raise();
    return true;
}

bool MainWindow::openCitationText(const QString& text) {
    QList<m1::app::Citation> parsed = m1::app::CitationParser::parse(text);
    if (parsed.isEmpty()) {
        showError(tr("Not a citation: %1").arg(text));
        return false;
    }
    m1::app::CitationVerifier verifier;
    const QString tag = parsed.front().tag;
    if (auto src = m_session->sourceForTag(tag)) verifier.addSource(tag, src.get());
    verifier.verifyAll(parsed);
    m_citationsModel->addAnswer(tr("typed in (not from the model)"));
    const int answer = m_citationsModel->answerCount() - 1;
    m_citationsModel->setCitations(answer, parsed);
    m_citationsView->expandAll();
    m_citationsView->setCurrentIndex(m_citationsModel->citationIndex(answer, 0));
    return openCitation(parsed.front());
}

void MainWindow::openSourceRow(int row, const QString& file) {
    const std::vector<ReadSource>& read = m_sourcesModel->readSources(row);
    if (read.empty()) return;
    const ViewerLocation l = locationForSource(*read.front().source, file);
    QString error;
    if (!m_viewer->open(l, &error)) showError(error);
}

}  // namespace m1::ui
