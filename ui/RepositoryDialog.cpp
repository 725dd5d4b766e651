#include "ui/RepositoryDialog.h"

#include "ingest/git/git_refs.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QtConcurrent/QtConcurrentRun>

namespace m1::ui {

RepositoryDialog::RepositoryDialog(QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("Add a repository"));
    setAccessibleName(tr("Add a repository"));
    m_location = new QLineEdit;
    m_location->setAccessibleName(tr("Repository path or URL"));
    m_location->setPlaceholderText(tr("/path/to/repo or https://host/owner/name.git"));
    auto* browse = new QPushButton(tr("Browse…"));
    browse->setAccessibleName(tr("Browse for a repository folder"));
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Repository folder"));
        if (!dir.isEmpty()) setLocation(dir);
    });
    auto* list = new QPushButton(tr("List branches and tags"));
    list->setAccessibleName(tr("List branches and tags"));
    connect(list, &QPushButton::clicked, this, &RepositoryDialog::listRefs);
    auto* locRow = new QHBoxLayout;
    locRow->addWidget(m_location, 1);
    locRow->addWidget(browse);
    m_ref = new QComboBox;
    m_ref->setEditable(true);
    m_ref->setAccessibleName(tr("Branch, tag or commit"));
    m_ref->setMinimumWidth(240);
    auto* refRow = new QHBoxLayout;
    refRow->addWidget(m_ref, 1);
    refRow->addWidget(list);
    m_status = new QLabel;
    m_status->setAccessibleName(tr("Reference listing status"));
    m_status->setStyleSheet(QStringLiteral("color: #6b7280;"));
    auto* form = new QFormLayout;
    form->addRow(tr("Repository"), locRow);
    form->addRow(tr("Ref"), refRow);
    form->addRow(QString(), m_status);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Add"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(buttons);

    connect(&m_watcher, &QFutureWatcher<RefList>::finished, this, [this] {
        const RefList r = m_watcher.result();
        const QString typed = m_ref->currentText();
        m_ref->clear();
        if (!r.error.isEmpty()) {
            m_status->setText(r.error);
        } else {
            for (const QString& b : r.branches) m_ref->addItem(tr("%1  (branch)").arg(b), b);
            for (const QString& t : r.tags) m_ref->addItem(tr("%1  (tag)").arg(t), t);
            const int head = m_ref->findData(r.head);
            m_ref->setCurrentIndex(typed.isEmpty() ? qMax(0, head) : -1);
            if (!typed.isEmpty()) m_ref->setEditText(typed);
            m_status->setText(tr("%n branch(es)", nullptr, int(r.branches.size())) + QStringLiteral(", ") +
                              tr("%n tag(s)", nullptr, int(r.tags.size())));
        }
        emit refsListed();
    });
}

RepositoryDialog::~RepositoryDialog() { m_watcher.waitForFinished(); }

QString RepositoryDialog::location() const { return m_location->text().trimmed(); }

QString RepositoryDialog::ref() const {
    const int i = m_ref->currentIndex();
    if (i >= 0 && m_ref->itemText(i) == m_ref->currentText()) return m_ref->itemData(i).toString();
    return m_ref->currentText().trimmed();
}

void RepositoryDialog::setLocation(const QString& location) { m_location->setText(location); }

QStringList RepositoryDialog::refChoices() const {
    QStringList out;
    for (int i = 0; i < m_ref->count(); ++i) out.append(m_ref->itemData(i).toString());
    return out;
}

void RepositoryDialog::listRefs() {
    if (m_watcher.isRunning()) return;
    const std::string where = location().toStdString();
    m_status->setText(tr("Listing…"));
    m_watcher.setFuture(QtConcurrent::run([where] {
        RefList out;
        try {
            const m1::ingest::git_refs r = m1::ingest::list_git_refs(where);
            for (const auto& b : r.branches) out.branches.append(QString::fromStdString(b));
            for (const auto& t : r.tags) out.tags.append(QString::fromStdString(t));
            out.head = QString::fromStdString(r.head);
        } catch (const std::exception& e) {
            out.error = QString::fromUtf8(e.what());
        }
        return out;
    }));
}

}  // namespace m1::ui
