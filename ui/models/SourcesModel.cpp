#include "ui/models/SourcesModel.h"

#include "ui/KindIcons.h"

#include <QFileInfo>
#include <QLocale>
#include <QMimeData>
#include <QUrl>

#include <map>
#include <set>

namespace m1::ui {

struct SourcesModel::Node {
    enum Type { Source, Folder, File } type = File;
    Node* parent = nullptr;
    int row = 0;
    QString name;
    std::string path;    // folders and files: relative to the source root
    qint64 tokens = 0;   // files: their tokens; folders: the sum over their files
    bool checked = true; // sources: included; files: kept. Folders derive theirs from their files.
    std::vector<std::unique_ptr<Node>> children;
};

struct SourcesModel::Entry {
    Node root;
    m1::app::WorkspaceSource ws;
    QString absPath;
    State state = State::Pending;
    qint64 done = 0, total = 0;
    QString item, error;
    std::vector<ReadSource> read;
    bool counted = false;
    qint64 unfiledTokens = 0;  // segments without a file (PDF pages, commit history): always kept
    QStringList baseExclude;   // the globs the source was read with
    // Copies of read sources without their unchecked files, keyed by the source and the exclude list they were
    // made for.
    std::map<const m1::ingest::source*, std::pair<QString, std::shared_ptr<const m1::ingest::source>>> filtered;
};

namespace {

QString guessKind(const m1::app::WorkspaceSource& s, const QString& abs) {
    if (!s.kind.isEmpty()) return s.kind;
    if (abs.contains(QLatin1String("://")) || abs.endsWith(QLatin1String(".git"))) return QStringLiteral("git");
    const QFileInfo fi(abs);
    if (fi.isDir()) return QFileInfo::exists(abs + QStringLiteral("/.git")) ? QStringLiteral("git") : QStringLiteral("folder");
    const QString suffix = fi.suffix().toLower();
    if (suffix == QLatin1String("pdf")) return QStringLiteral("pdf");
    if (suffix == QLatin1String("docx")) return QStringLiteral("docx");
    return QStringLiteral("text");
}

QString displayName(const m1::app::WorkspaceSource& s, const QString& abs) {
    QString name = abs;
    while (name.endsWith(QLatin1Char('/'))) name.chop(1);
    name = name.section(QLatin1Char('/'), -1);
    if (name.endsWith(QLatin1String(".git")) && abs.contains(QLatin1String("://"))) name.chop(4);
    if (!s.ref.isEmpty() && s.ref != QLatin1String("HEAD")) name += QStringLiteral(" @ ") + s.ref;
    return name.isEmpty() ? abs : name;
}

}  // namespace

SourcesModel::SourcesModel(QObject* parent) : QAbstractItemModel(parent) {}
SourcesModel::~SourcesModel() = default;

int SourcesModel::addSource(const m1::app::WorkspaceSource& source, const QString& absolutePath) {
    const int row = int(m_entries.size());
    beginInsertRows({}, row, row);
    auto e = std::make_unique<Entry>();
    e->ws = source;
    e->absPath = absolutePath;
    e->baseExclude = source.exclude;
    e->root.type = Node::Source;
    e->root.row = row;
    e->root.name = displayName(source, absolutePath);
    e->root.checked = source.included;
    e->ws.kind = guessKind(source, absolutePath);
    m_entries.push_back(std::move(e));
    endInsertRows();
    emit totalsChanged(includedTokens());
    return row;
}

void SourcesModel::removeSource(int row) {
    if (row < 0 || row >= sourceCount()) return;
    beginRemoveRows({}, row, row);
    m_entries.erase(m_entries.begin() + row);
    for (int i = row; i < sourceCount(); ++i) m_entries[size_t(i)]->root.row = i;
    endRemoveRows();
    emit totalsChanged(includedTokens());
}

void SourcesModel::clear() {
    beginResetModel();
    m_entries.clear();
    endResetModel();
    emit totalsChanged(0);
}

int SourcesModel::rowOfPath(const QString& absolutePath) const {
    for (int i = 0; i < sourceCount(); ++i)
        if (m_entries[size_t(i)]->absPath == absolutePath) return i;
    return -1;
}

m1::app::WorkspaceSource SourcesModel::workspaceSource(int row) const {
    const Entry& e = *m_entries.at(size_t(row));
    m1::app::WorkspaceSource s = e.ws;
    s.included = e.root.checked;
    s.exclude = e.baseExclude;
    // A fully unchecked folder becomes one glob; otherwise each unchecked file is named.
    std::function<void(const Node*)> walk = [&](const Node* n) {
        for (const auto& c : n->children) {
            if (c->type == Node::Folder && checkState(c.get()) == Qt::Unchecked)
                s.exclude.append(QString::fromStdString(c->path) + QStringLiteral("/**"));
            else if (c->type == Node::Folder)
                walk(c.get());
            else if (!c->checked)
                s.exclude.append(QString::fromStdString(c->path));
        }
    };
    walk(&e.root);
    return s;
}

QString SourcesModel::absolutePath(int row) const { return m_entries.at(size_t(row))->absPath; }
SourcesModel::State SourcesModel::state(int row) const { return m_entries.at(size_t(row))->state; }
const std::vector<ReadSource>& SourcesModel::readSources(int row) const { return m_entries.at(size_t(row))->read; }

void SourcesModel::setReading(int row, qint64 done, qint64 total, const QString& item) {
    if (row < 0 || row >= sourceCount()) return;
    Entry& e = *m_entries[size_t(row)];
    e.state = State::Reading;
    e.done = done;
    e.total = total;
    e.item = item;
    const QModelIndex i = index(row, TokensColumn);
    emit dataChanged(i, i);
}

void SourcesModel::setFailed(int row, const QString& error) {
    if (row < 0 || row >= sourceCount()) return;
    Entry& e = *m_entries[size_t(row)];
    e.state = State::Failed;
    e.error = error;
    emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
    emit totalsChanged(includedTokens());
}

void SourcesModel::setRead(int row, std::vector<ReadSource> sources, bool counted) {
    if (row < 0 || row >= sourceCount()) return;
    Entry& e = *m_entries[size_t(row)];
    const QModelIndex parent = index(row, 0);
    if (!e.root.children.empty()) {
        beginRemoveRows(parent, 0, int(e.root.children.size()) - 1);
        e.root.children.clear();
        endRemoveRows();
    }
    e.read = std::move(sources);
    e.filtered.clear();
    e.counted = counted;
    e.state = State::Ready;
    e.error.clear();
    if (e.ws.kind == QLatin1String("folder") || e.ws.kind.isEmpty())
        if (!e.read.empty() && e.read.front().source->kind == m1::ingest::source_kind::git) e.ws.kind = QStringLiteral("git");
    Entry scratch;  // build into a scratch root so that the insertion is announced once
    scratch.read = e.read;
    buildTree(scratch);
    e.unfiledTokens = scratch.unfiledTokens;
    e.root.tokens = scratch.root.tokens;
    if (!scratch.root.children.empty()) {
        beginInsertRows(parent, 0, int(scratch.root.children.size()) - 1);
        e.root.children = std::move(scratch.root.children);
        for (auto& c : e.root.children) c->parent = &e.root;
        endInsertRows();
    }
    emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
    emit totalsChanged(includedTokens());
}

void SourcesModel::buildTree(Entry& e) {
    // file -> tokens over every read source; a single loose file gets no tree of its own.
    std::map<std::string, qint64> files;
    qint64 unfiled = 0, total = 0;
    for (const ReadSource& r : e.read)
        for (const m1::ingest::segment& s : r.source->segments) {
            total += qint64(s.tokens);
            if (s.where.file.empty() || r.source->kind == m1::ingest::source_kind::pdf) unfiled += qint64(s.tokens);
            else files[s.where.file] += qint64(s.tokens);
        }
    e.root.tokens = total;
    const bool tree = files.size() > 1 || (!e.read.empty() && e.read.front().source->kind == m1::ingest::source_kind::git);
    if (!tree) {
        e.unfiledTokens = total;
        return;
    }
    e.unfiledTokens = unfiled;
    for (const auto& [file, tokens] : files) {
        Node* at = &e.root;
        size_t start = 0;
        // Walk or create the folders of "a/b/c.txt".
        for (size_t slash; (slash = file.find('/', start)) != std::string::npos; start = slash + 1) {
            const std::string folder = file.substr(0, slash);
            Node* found = nullptr;
            for (auto& c : at->children)
                if (c->type == Node::Folder && c->path == folder) found = c.get();
            if (!found) {
                auto n = std::make_unique<Node>();
                n->type = Node::Folder;
                n->parent = at;
                n->row = int(at->children.size());
                n->path = folder;
                n->name = QString::fromStdString(file.substr(start, slash - start));
                found = n.get();
                at->children.push_back(std::move(n));
            }
            found->tokens += tokens;
            at = found;
        }
        auto n = std::make_unique<Node>();
        n->type = Node::File;
        n->parent = at;
        n->row = int(at->children.size());
        n->path = file;
        n->name = QString::fromStdString(file.substr(start));
        n->tokens = tokens;
        n->checked = true;
        at->children.push_back(std::move(n));
    }
    // Folders first, then files, each by name (files arrive sorted; folders were created in that order too).
    std::function<void(Node*)> order = [&](Node* n) {
        std::stable_sort(n->children.begin(), n->children.end(),
                         [](const auto& a, const auto& b) { return a->type == Node::Folder && b->type == Node::File; });
        for (size_t i = 0; i < n->children.size(); ++i) {
            n->children[i]->row = int(i);
            order(n->children[i].get());
        }
    };
    order(&e.root);
}

qint64 SourcesModel::includedTokens() const {
    qint64 sum = 0;
    std::function<qint64(const Node*)> kept = [&](const Node* n) -> qint64 {
        if (n->type == Node::File) return n->checked ? n->tokens : 0;
        qint64 s = 0;
        for (const auto& c : n->children) s += kept(c.get());
        return s;
    };
    for (const auto& e : m_entries)
        if (e->root.checked && e->state == State::Ready && e->counted) sum += e->unfiledTokens + kept(&e->root);
    return sum;
}

bool SourcesModel::fileExcluded(const Entry& e, const std::string& file) const {
    std::function<const Node*(const Node*)> find = [&](const Node* n) -> const Node* {
        for (const auto& c : n->children) {
            if (c->path == file && c->type == Node::File) return c.get();
            if (c->type == Node::Folder && file.compare(0, c->path.size() + 1, c->path + '/') == 0) return find(c.get());
        }
        return nullptr;
    };
    const Node* n = find(&e.root);
    return n && !n->checked;
}

std::vector<ReadSource> SourcesModel::contextSources() const {
    std::vector<ReadSource> out;
    for (const auto& e : m_entries) {
        if (!e->root.checked || e->state != State::Ready) continue;
        for (const ReadSource& r : e->read) {
            bool anyExcluded = false;
            for (const auto& s : r.source->segments)
                if (!s.where.file.empty() && fileExcluded(*e, s.where.file)) anyExcluded = true;
            if (!anyExcluded) {
                out.push_back(r);
                continue;
            }
            // The same selection gives the same (cached) copy, so the session sees an unchanged context.
            const QString key = workspaceSource(sourceRowOf(&e->root)).exclude.join(QLatin1Char('\n'));
            auto cached = e->filtered.find(r.source.get());
            if (cached == e->filtered.end() || cached->second.first != key) {
                auto copy = std::make_shared<m1::ingest::source>(*r.source);
                std::erase_if(copy->segments, [&](const m1::ingest::segment& s) {
                    return !s.where.file.empty() && fileExcluded(*e, s.where.file);
                });
                cached = e->filtered.insert_or_assign(r.source.get(), std::make_pair(key, std::shared_ptr<const m1::ingest::source>(std::move(copy)))).first;
            }
            out.push_back({cached->second.second, r.contract});
        }
    }
    return out;
}

// ---- tree plumbing -------------------------------------------------------------------------------------------------

SourcesModel::Node* SourcesModel::nodeOf(const QModelIndex& index) const {
    return index.isValid() ? static_cast<Node*>(index.internalPointer()) : nullptr;
}

QModelIndex SourcesModel::indexOf(Node* node, int column) const {
    return node ? createIndex(node->row, column, node) : QModelIndex();
}

int SourcesModel::sourceRowOf(const Node* node) const {
    while (node && node->parent) node = node->parent;
    return node ? node->row : -1;
}

QModelIndex SourcesModel::index(int row, int column, const QModelIndex& parent) const {
    if (row < 0 || column < 0 || column >= ColumnCount) return {};
    if (!parent.isValid())
        return row < sourceCount() ? createIndex(row, column, &m_entries[size_t(row)]->root) : QModelIndex();
    Node* p = nodeOf(parent);
    if (!p || row >= int(p->children.size())) return {};
    return createIndex(row, column, p->children[size_t(row)].get());
}

QModelIndex SourcesModel::parent(const QModelIndex& child) const {
    Node* n = nodeOf(child);
    return n && n->parent ? indexOf(n->parent, 0) : QModelIndex();
}

int SourcesModel::rowCount(const QModelIndex& parent) const {
    if (!parent.isValid()) return sourceCount();
    if (parent.column() != 0) return 0;
    return int(nodeOf(parent)->children.size());
}

int SourcesModel::columnCount(const QModelIndex&) const { return ColumnCount; }

Qt::CheckState SourcesModel::checkState(const Node* n) const {
    if (n->type != Node::Folder) return n->checked ? Qt::Checked : Qt::Unchecked;
    bool any = false, all = true;
    for (const auto& c : n->children) {
        const Qt::CheckState s = checkState(c.get());
        any = any || s != Qt::Unchecked;
        all = all && s == Qt::Checked;
    }
    return all ? Qt::Checked : (any ? Qt::PartiallyChecked : Qt::Unchecked);
}

QVariant SourcesModel::data(const QModelIndex& index, int role) const {
    const Node* n = nodeOf(index);
    if (!n) return {};
    const Entry& e = *m_entries[size_t(sourceRowOf(n))];
    const bool isSource = n->type == Node::Source;
    const QLocale locale;
    switch (role) {
    case Qt::DisplayRole:
        if (index.column() == NameColumn) return n->name;
        if (!isSource) return e.counted ? locale.toString(n->tokens) : QString();
        switch (e.state) {
        case State::Pending: return tr("queued");
        case State::Reading: return e.total > 0 ? tr("reading %1/%2").arg(e.done).arg(e.total) : tr("reading…");
        case State::Failed: return tr("failed");
        case State::Ready: return e.counted ? locale.toString(n->tokens) : tr("not counted");
        }
        return {};
    case Qt::DecorationRole:
        if (index.column() != NameColumn) return {};
        if (isSource) return kindIcon(e.ws.kind);
        return kindIcon(n->type == Node::Folder ? QStringLiteral("folder") : QStringLiteral("file"));
    case Qt::CheckStateRole:
        return index.column() == NameColumn ? QVariant(checkState(n)) : QVariant();
    case Qt::TextAlignmentRole:
        return index.column() == TokensColumn ? QVariant(Qt::AlignRight | Qt::AlignVCenter) : QVariant();
    case Qt::ForegroundRole:
        if (e.state == State::Failed && isSource) return QColor(0xa3, 0x22, 0x1b);
        if (!e.root.checked || checkState(n) == Qt::Unchecked) return QColor(0x9a, 0xa0, 0xa6);
        return {};
    case Qt::ToolTipRole:
        if (isSource && e.state == State::Failed) return e.error;
        if (isSource && e.state == State::Reading) return e.item;
        return isSource ? e.absPath : QString::fromStdString(n->path);
    case Qt::AccessibleTextRole:
        return index.column() == NameColumn ? n->name : data(index, Qt::DisplayRole);
    case KindRole:
        return isSource ? e.ws.kind : (n->type == Node::Folder ? QStringLiteral("folder") : QStringLiteral("file"));
    case PathRole: return isSource ? e.absPath : QString::fromStdString(n->path);
    case StateRole: return QVariant::fromValue(e.state);
    case TokensRole: return n->tokens;
    case ErrorRole: return e.error;
    default: return {};
    }
}

void SourcesModel::setChecked(Node* n, bool checked) {
    if (n->type == Node::Folder)
        for (auto& c : n->children) setChecked(c.get(), checked);
    else
        n->checked = checked;
}

void SourcesModel::emitSubtreeChanged(Node* n) {
    emit dataChanged(indexOf(n, 0), indexOf(n, ColumnCount - 1));
    for (auto& c : n->children) emitSubtreeChanged(c.get());
}

bool SourcesModel::setData(const QModelIndex& index, const QVariant& value, int role) {
    Node* n = nodeOf(index);
    if (!n || role != Qt::CheckStateRole || index.column() != NameColumn) return false;
    const bool checked = value.toInt() != Qt::Unchecked;
    if (n->type == Node::Source) n->checked = checked;
    else setChecked(n, checked);
    Node* root = n;
    while (root->parent) root = root->parent;
    emitSubtreeChanged(root);
    emit totalsChanged(includedTokens());
    return true;
}

Qt::ItemFlags SourcesModel::flags(const QModelIndex& index) const {
    if (!index.isValid()) return Qt::ItemIsDropEnabled;
    Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsDropEnabled;  // drops anywhere add sources
    if (index.column() == NameColumn) f |= Qt::ItemIsUserCheckable;
    return f;
}

QVariant SourcesModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    return section == NameColumn ? tr("Source") : tr("Tokens");
}

QStringList SourcesModel::mimeTypes() const { return {QStringLiteral("text/uri-list")}; }
Qt::DropActions SourcesModel::supportedDropActions() const { return Qt::CopyAction | Qt::LinkAction; }

bool SourcesModel::canDropMimeData(const QMimeData* data, Qt::DropAction, int, int, const QModelIndex&) const {
    if (!data || !data->hasUrls()) return false;
    for (const QUrl& u : data->urls())
        if (u.isLocalFile()) return true;
    return false;
}

bool SourcesModel::dropMimeData(const QMimeData* data, Qt::DropAction action, int row, int column,
                                const QModelIndex& parent) {
    if (!canDropMimeData(data, action, row, column, parent)) return false;
    QStringList paths;
    for (const QUrl& u : data->urls())
        if (u.isLocalFile()) paths.append(u.toLocalFile());
    emit pathsDropped(paths);
    return true;
}

}  // namespace m1::ui
