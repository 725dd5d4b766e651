// The Sources dock's item model: the workspace's sources, and inside each repository or folder its folders and files,
// with kind icons, token counts and include checkboxes; plus what the included part adds up to.
//
//   Source  (column 0: name, kind icon, include checkbox; column 1: tokens, or reading progress / the error)
//    └ Folder (tri-state checkbox derived from its files)
//       └ File (checkbox: unchecked files are left out of the context and saved as exclude globs)
//
// The model owns no worker: the caller reads sources off the GUI thread and hands the results in with setRead().
// Read sources are shared, immutable (std::shared_ptr<const source>), so the session worker can keep using them.
// GUI thread only, like every item model.
#pragma once

#include "app/core/Workspace.h"
#include "ingest/core/source.h"

#include <QAbstractItemModel>

#include <memory>
#include <vector>

namespace m1::ui {

struct ReadSource {
    std::shared_ptr<const m1::ingest::source> source;
    bool contract = false;  // clause anchors (DOCX, or a PDF read as a contract)
};

class SourcesModel : public QAbstractItemModel {
    Q_OBJECT
public:
    enum Column { NameColumn, TokensColumn, ColumnCount };
    enum Role { KindRole = Qt::UserRole + 1, PathRole, StateRole, TokensRole, ErrorRole };
    enum class State { Pending, Reading, Ready, Failed };
    Q_ENUM(State)

    explicit SourcesModel(QObject* parent = nullptr);
    ~SourcesModel() override;

    // Appends a source (Pending); returns its row. `absolutePath` is where to read it from.
    int addSource(const m1::app::WorkspaceSource& source, const QString& absolutePath);
    void removeSource(int row);
    void clear();
    int sourceCount() const { return int(m_entries.size()); }
    int rowOfPath(const QString& absolutePath) const;  // -1 when absent

    // The workspace entry, with `included` and the exclude globs of unchecked files and folders kept current.
    m1::app::WorkspaceSource workspaceSource(int row) const;
    QString absolutePath(int row) const;
    State state(int row) const;

    void setReading(int row, qint64 done, qint64 total, const QString& item);
    // The sources read from the entry (one, or two for a repository with history). `counted`: their tokens are
    // counted with the model's tokenizer (else the token column says so and totals leave them out).
    void setRead(int row, std::vector<ReadSource> sources, bool counted);
    void setFailed(int row, const QString& error);
    const std::vector<ReadSource>& readSources(int row) const;

    // Tokens of the checked sources and files (counted ones only).
    qint64 includedTokens() const;
    // What goes into the context: the checked, read sources, with unchecked files' segments left out.
    std::vector<ReadSource> contextSources() const;

    // QAbstractItemModel
    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    // Drops of files and folders (text/uri-list) are announced with pathsDropped(); the model itself adds nothing.
    QStringList mimeTypes() const override;
    Qt::DropActions supportedDropActions() const override;
    bool canDropMimeData(const QMimeData* data, Qt::DropAction action, int row, int column,
                         const QModelIndex& parent) const override;
    bool dropMimeData(const QMimeData* data, Qt::DropAction action, int row, int column,
                      const QModelIndex& parent) override;

signals:
    void totalsChanged(qint64 includedTokens);
    void pathsDropped(const QStringList& paths);

private:
    struct Node;
    struct Entry;
    Node* nodeOf(const QModelIndex& index) const;
    QModelIndex indexOf(Node* node, int column) const;
    int sourceRowOf(const Node* node) const;
    Qt::CheckState checkState(const Node* node) const;
    void setChecked(Node* node, bool checked);
    void emitSubtreeChanged(Node* node);
    void buildTree(Entry& entry);
    bool fileExcluded(const Entry& entry, const std::string& file) const;

    std::vector<std::unique_ptr<Entry>> m_entries;
};

}  // namespace m1::ui
