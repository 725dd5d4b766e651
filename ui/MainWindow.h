// The main window: five docks (Sources, Viewer, Conversation, Reasoning, Citations) around an empty centre, and a
// status bar. Later issues fill the panes; this class only owns the layout and the workspace shown in it.
#pragma once

#include <QMainWindow>
#include <QStringList>

class QDockWidget;
class QLabel;
class QStandardItemModel;

namespace m1::app {
class Workspace;
}

namespace m1::ui {

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);

    // The dock titles in their fixed order; also the dock object names with "Dock" appended.
    static QStringList dockTitles();

    // Shows a workspace's sources in the Sources dock and its name in the title and status bar.
    void showWorkspace(const m1::app::Workspace& workspace);

    QDockWidget* dock(const QString& title) const;

private:
    QDockWidget* addPane(const QString& title, QWidget* content, Qt::DockWidgetArea area);

    QStandardItemModel* m_sourcesModel = nullptr;
    QLabel* m_statusLabel = nullptr;
};

}  // namespace m1::ui
