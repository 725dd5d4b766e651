// The main window: five docks (Sources, Viewer, Conversation, Reasoning, Citations), a toolbar, and two banners
// (progress with Cancel, errors with details) under it. It wires the item models, the panes and the two workers:
// SourceIngestor reads sources on pool threads, SessionController runs the model on its own thread, so the GUI
// thread only ever applies results.
//
// Collaborators are injected: the QSettings that persists the model and sampling settings is given by the caller
// (main.cpp passes the user's, tests a temporary file); without one the window keeps settings in memory only.
#pragma once

#include "app/citations/Citation.h"
#include "app/core/Workspace.h"
#include "ui/AppSettings.h"

#include <QMainWindow>
#include <QStringList>

class QDockWidget;
class QLabel;
class QSettings;
class QTreeView;

namespace m1::ui {

class Banner;
class CitationsModel;
class ConversationModel;
class ConversationPane;
class DemoModel;
class ReasoningPane;
class SessionController;
class SourceIngestor;
class SourcesModel;
class SourcesPane;
class ViewerPane;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QSettings* settings = nullptr, QWidget* parent = nullptr);
    ~MainWindow() override;

    // The dock titles in their fixed order; also the dock object names with "Dock" appended.
    static QStringList dockTitles();
    QDockWidget* dock(const QString& title) const;

    // Shows a workspace: its sources (read in the background) and its name in the title and status bar.
    void showWorkspace(const m1::app::Workspace& workspace);
    bool openWorkspace(const QString& file, QString* error);
    bool saveWorkspace(const QString& file, QString* error);
    m1::app::Workspace workspace() const;
    bool openSession(const QString& file, QString* error);
    bool saveSession(const QString& file, QString* error);
    bool exportReport(const QString& file, QString* error);

    // Adds files, folders or repositories by path (duplicates are ignored) and reads them.
    void addPaths(const QStringList& paths);
    void addRepository(const QString& location, const QString& ref);
    void removeSources(QList<int> rows);

    AppSettings appSettings() const { return m_appSettings; }
    void setAppSettings(const AppSettings& settings);  // persists, and reloads the model when it changed
    // Loads the model of the settings (the demo model, made on first use, when no directory is set).
    void loadModel();
    void setCliPath(const QString& path) { m_cliPath = path; }

    void ask(const QString& question);
    void stop();
    // Opens the viewer at a citation of an answer (turn and index into its citations).
    bool openCitation(int turn, int index);
    bool openCitation(const m1::app::Citation& citation);
    // Parses a citation typed as text ("[T2 L3-5 \"words\"]"), verifies it against the current context, lists it in
    // the Citations pane as typed in (not from the model) and opens it. For the screenshots and for checking a
    // quote by hand.
    bool openCitationText(const QString& text);
    // Shows a source (or, for a repository or folder, one of its files) in the viewer.
    void openSourceRow(int row, const QString& file);

    SourcesModel* sourcesModel() const { return m_sourcesModel; }
    ConversationModel* conversationModel() const { return m_conversationModel; }
    CitationsModel* citationsModel() const { return m_citationsModel; }
    SourcesPane* sourcesPane() const { return m_sourcesPane; }
    ViewerPane* viewer() const { return m_viewer; }
    ConversationPane* conversationPane() const { return m_conversationPane; }
    ReasoningPane* reasoningPane() const { return m_reasoningPane; }
    QTreeView* citationsView() const { return m_citationsView; }
    SessionController* session() const { return m_session; }
    SourceIngestor* ingestor() const { return m_ingestor; }
    Banner* progressBanner() const { return m_progressBanner; }
    Banner* errorBanner() const { return m_errorBanner; }

signals:
    void modelReady();
    void sourcesIdle();

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    QDockWidget* addPane(const QString& title, QWidget* content, Qt::DockWidgetArea area);
    void createActions();
    void connectWorkers();
    void updateBudget();
    void updateStatus();
    void showError(const QString& message, const QString& details = {});
    void addSource(const m1::app::WorkspaceSource& source, const QString& absolutePath);
    void chooseFiles();
    void chooseFolder();
    void chooseRepository();

    QSettings* m_settings = nullptr;  // not owned unless m_ownedSettings
    std::unique_ptr<QSettings> m_ownedSettings;
    AppSettings m_appSettings;
    m1::app::Workspace m_workspace;
    QString m_cliPath;

    SourcesModel* m_sourcesModel = nullptr;
    ConversationModel* m_conversationModel = nullptr;
    CitationsModel* m_citationsModel = nullptr;
    SessionController* m_session = nullptr;
    SourceIngestor* m_ingestor = nullptr;
    DemoModel* m_demoModel = nullptr;

    SourcesPane* m_sourcesPane = nullptr;
    ViewerPane* m_viewer = nullptr;
    ConversationPane* m_conversationPane = nullptr;
    ReasoningPane* m_reasoningPane = nullptr;
    QTreeView* m_citationsView = nullptr;
    Banner* m_progressBanner = nullptr;
    Banner* m_errorBanner = nullptr;
    QLabel* m_statusLabel = nullptr;
    QLabel* m_modelLabel = nullptr;
    bool m_loadingModel = false;
};

}  // namespace m1::ui
