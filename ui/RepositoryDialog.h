// Add a repository: a local path or a clone URL, and the branch or tag to read, picked from the repository's refs
// (listed off the GUI thread through ingest's list_git_refs) or typed in.
#pragma once

#include <QDialog>
#include <QFutureWatcher>

class QComboBox;
class QLabel;
class QLineEdit;

namespace m1::ui {

struct RefList {
    QStringList branches, tags;
    QString head, error;
};

class RepositoryDialog : public QDialog {
    Q_OBJECT
public:
    explicit RepositoryDialog(QWidget* parent = nullptr);
    ~RepositoryDialog() override;

    QString location() const;
    QString ref() const;  // empty = HEAD
    void setLocation(const QString& location);
    // Lists branches and tags of the location (asynchronously; refsListed() when done).
    void listRefs();
    QStringList refChoices() const;

signals:
    void refsListed();

private:
    QLineEdit* m_location = nullptr;
    QComboBox* m_ref = nullptr;
    QLabel* m_status = nullptr;
    QFutureWatcher<RefList> m_watcher;
};

}  // namespace m1::ui
