#include "ui/MainWindow.h"

#include "app/core/Workspace.h"

#include <QDockWidget>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QStandardItemModel>
#include <QStatusBar>
#include <QTextBrowser>
#include <QTreeView>

namespace m1::ui {

QStringList MainWindow::dockTitles() {
    return {tr("Sources"), tr("Viewer"), tr("Conversation"), tr("Reasoning"), tr("Citations")};
}

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setWindowTitle(tr("M1 Studio"));
    setObjectName(QStringLiteral("MainWindow"));
    setDockNestingEnabled(true);
    resize(1280, 800);

    m_sourcesModel = new QStandardItemModel(this);
    m_sourcesModel->setHorizontalHeaderLabels({tr("Source"), tr("Kind")});
    auto* sourcesView = new QTreeView;
    sourcesView->setModel(m_sourcesModel);
    sourcesView->setAccessibleName(tr("Sources"));

    auto* viewer = new QTextBrowser;
    viewer->setAccessibleName(tr("Document viewer"));
    viewer->setPlaceholderText(tr("Open a source or click a citation to view it here."));

    auto* conversation = new QTextBrowser;
    conversation->setAccessibleName(tr("Conversation"));
    conversation->setPlaceholderText(tr("Answers appear here."));

    auto* reasoning = new QPlainTextEdit;
    reasoning->setReadOnly(true);
    reasoning->setAccessibleName(tr("Reasoning"));
    reasoning->setPlaceholderText(tr("The model's reasoning streams here."));

    auto* citations = new QTreeView;
    citations->setAccessibleName(tr("Citations"));

    // Three columns: Sources over Citations | Conversation over Reasoning | Viewer.
    const QStringList titles = dockTitles();
    QDockWidget* sourcesDock = addPane(titles[0], sourcesView, Qt::LeftDockWidgetArea);
    QDockWidget* conversationDock = addPane(titles[2], conversation, Qt::RightDockWidgetArea);
    QDockWidget* viewerDock = addPane(titles[1], viewer, Qt::RightDockWidgetArea);
    QDockWidget* reasoningDock = addPane(titles[3], reasoning, Qt::RightDockWidgetArea);
    QDockWidget* citationsDock = addPane(titles[4], citations, Qt::LeftDockWidgetArea);
    splitDockWidget(conversationDock, viewerDock, Qt::Horizontal);
    splitDockWidget(conversationDock, reasoningDock, Qt::Vertical);
    splitDockWidget(sourcesDock, citationsDock, Qt::Vertical);
    resizeDocks({sourcesDock, conversationDock, viewerDock}, {320, 480, 480}, Qt::Horizontal);
    resizeDocks({conversationDock, reasoningDock}, {520, 240}, Qt::Vertical);
    resizeDocks({sourcesDock, citationsDock}, {480, 280}, Qt::Vertical);
    sourcesView->header()->setSectionResizeMode(0, QHeaderView::Stretch);

    m_statusLabel = new QLabel(tr("No workspace"));
    statusBar()->addWidget(m_statusLabel, 1);
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

void MainWindow::showWorkspace(const m1::app::Workspace& workspace) {
    m_sourcesModel->removeRows(0, m_sourcesModel->rowCount());
    for (const m1::app::WorkspaceSource& s : workspace.sources()) {
        auto* name = new QStandardItem(QFileInfo(s.path).fileName());
        name->setToolTip(workspace.absolutePath(s));
        name->setCheckable(true);
        name->setCheckState(s.included ? Qt::Checked : Qt::Unchecked);
        name->setEditable(false);
        auto* kind = new QStandardItem(s.kind);
        kind->setEditable(false);
        m_sourcesModel->appendRow({name, kind});
    }
    setWindowTitle(tr("%1 — M1 Studio").arg(workspace.name()));
    m_statusLabel->setText(tr("Workspace %1: %n source(s) · model: demo (random weights)", nullptr,
                              int(workspace.sources().size()))
                               .arg(workspace.name()));
}

}  // namespace m1::ui
