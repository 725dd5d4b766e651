// The Sources dock: add/remove buttons, the sources tree (SourcesModel: checkboxes, kind icons, tokens), the
// progress of the source being read with a Cancel button, and the context budget meter. Drops of files and folders
// from a file manager land on the tree. The pane only asks; the main window adds, reads and removes.
#pragma once

#include <QWidget>

class QLabel;
class QProgressBar;
class QPushButton;
class QTreeView;

namespace m1::ui {

class BudgetMeter;
class SourcesModel;

class SourcesPane : public QWidget {
    Q_OBJECT
public:
    explicit SourcesPane(SourcesModel* model, QWidget* parent = nullptr);

    QTreeView* view() const { return m_view; }
    BudgetMeter* meter() const { return m_meter; }
    void showProgress(const QString& source, qint64 done, qint64 total, const QString& item);
    void hideProgress();
    bool progressVisible() const;
    QPushButton* cancelButton() const { return m_cancel; }

signals:
    void addFilesRequested();
    void addFolderRequested();
    void addRepositoryRequested();
    void removeRequested(const QList<int>& rows);
    void cancelRequested();
    void activated(int sourceRow, const QString& file);

private:
    SourcesModel* m_model;
    QTreeView* m_view = nullptr;
    BudgetMeter* m_meter = nullptr;
    QWidget* m_progressRow = nullptr;
    QLabel* m_progressLabel = nullptr;
    QProgressBar* m_progress = nullptr;
    QPushButton* m_cancel = nullptr;
};

}  // namespace m1::ui
