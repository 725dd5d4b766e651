#include "ui/panes/SourcesPane.h"

#include "ui/models/SourcesModel.h"
#include "ui/panes/BudgetMeter.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QProgressBar>
#include <QPushButton>
#include <QStyle>
#include <QToolButton>
#include <QTreeView>
#include <QVBoxLayout>

namespace m1::ui {

SourcesPane::SourcesPane(SourcesModel* model, QWidget* parent) : QWidget(parent), m_model(model) {
    setAccessibleName(tr("Sources"));
    auto* add = new QToolButton;
    add->setText(tr("Add"));
    add->setAccessibleName(tr("Add sources"));
    add->setToolTip(tr("Add files, a folder or a repository (Ctrl+O)"));
    add->setPopupMode(QToolButton::InstantPopup);
    add->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    add->setIcon(style()->standardIcon(QStyle::SP_FileDialogNewFolder));
    auto* menu = new QMenu(add);
    menu->setAccessibleName(tr("Add sources menu"));
    menu->addAction(tr("Files…"), this, &SourcesPane::addFilesRequested);
    menu->addAction(tr("Folder…"), this, &SourcesPane::addFolderRequested);
    menu->addAction(tr("Repository…"), this, &SourcesPane::addRepositoryRequested);
    add->setMenu(menu);
    auto* remove = new QToolButton;
    remove->setText(tr("Remove"));
    remove->setAccessibleName(tr("Remove the selected sources"));
    remove->setToolTip(tr("Remove the selected sources (Delete)"));
    remove->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    remove->setIcon(style()->standardIcon(QStyle::SP_TrashIcon));
    auto* buttons = new QHBoxLayout;
    buttons->setContentsMargins(0, 0, 0, 0);
    buttons->addWidget(add);
    buttons->addWidget(remove);
    buttons->addStretch();

    m_view = new QTreeView;
    m_view->setModel(model);
    m_view->setAccessibleName(tr("Sources tree"));
    m_view->setUniformRowHeights(true);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setDragDropMode(QAbstractItemView::DropOnly);
    m_view->setAcceptDrops(true);
    m_view->setDropIndicatorShown(true);
    m_view->setIconSize(QSize(18, 18));
    m_view->header()->setStretchLastSection(false);
    m_view->header()->setSectionResizeMode(SourcesModel::NameColumn, QHeaderView::Stretch);
    m_view->header()->setSectionResizeMode(SourcesModel::TokensColumn, QHeaderView::ResizeToContents);
    m_view->setToolTip(tr("Drop files and folders here"));

    m_progressLabel = new QLabel;
    m_progressLabel->setAccessibleName(tr("Reading progress"));
    m_progressLabel->setStyleSheet(QStringLiteral("color: #4b5563;"));
    m_progress = new QProgressBar;
    m_progress->setAccessibleName(tr("Reading progress bar"));
    m_progress->setTextVisible(false);
    m_progress->setMaximumHeight(8);
    m_cancel = new QPushButton(tr("Cancel"));
    m_cancel->setAccessibleName(tr("Cancel reading"));
    m_progressRow = new QWidget;
    auto* pr = new QVBoxLayout(m_progressRow);
    pr->setContentsMargins(0, 0, 0, 0);
    auto* top = new QHBoxLayout;
    top->addWidget(m_progressLabel, 1);
    top->addWidget(m_cancel);
    pr->addLayout(top);
    pr->addWidget(m_progress);
    m_progressRow->hide();

    m_meter = new BudgetMeter;

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(buttons);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_progressRow);
    layout->addWidget(m_meter);

    connect(m_cancel, &QPushButton::clicked, this, &SourcesPane::cancelRequested);
    auto removeSelected = [this] {
        QList<int> rows;
        for (const QModelIndex& i : m_view->selectionModel()->selectedRows()) {
            QModelIndex top = i;
            while (top.parent().isValid()) top = top.parent();
            if (!rows.contains(top.row())) rows.append(top.row());
        }
        if (!rows.isEmpty()) emit removeRequested(rows);
    };
    connect(remove, &QToolButton::clicked, this, removeSelected);
    auto* del = new QAction(tr("Remove"), m_view);
    del->setShortcut(QKeySequence::Delete);
    del->setShortcutContext(Qt::WidgetShortcut);
    connect(del, &QAction::triggered, this, removeSelected);
    m_view->addAction(del);
    connect(m_view, &QTreeView::activated, this, [this](const QModelIndex& index) {
        QModelIndex top = index;
        while (top.parent().isValid()) top = top.parent();
        const QString kind = index.data(SourcesModel::KindRole).toString();
        emit activated(top.row(), kind == QLatin1String("file") ? index.data(SourcesModel::PathRole).toString() : QString());
    });
}

void SourcesPane::showProgress(const QString& source, qint64 done, qint64 total, const QString& item) {
    m_progressLabel->setText(total > 0 ? tr("Reading %1 · %2 / %3 · %4").arg(source).arg(done).arg(total).arg(item)
                                       : tr("Reading %1…").arg(source));
    m_progress->setRange(0, total > 0 ? int(total) : 0);
    m_progress->setValue(int(done));
    m_progressRow->show();
}

void SourcesPane::hideProgress() { m_progressRow->hide(); }
bool SourcesPane::progressVisible() const { return !m_progressRow->isHidden(); }

}  // namespace m1::ui
