#include "ui/workers/SourceIngestor.h"

#include "ui/workers/IngestJob.h"

#include <QFileInfo>

namespace m1::ui {

SourceIngestor::SourceIngestor(SourcesModel* model, QObject* parent) : QObject(parent), m_model(model) {
    qRegisterMetaType<m1::ui::IngestResult>();
}

SourceIngestor::~SourceIngestor() {
    m_queue.clear();
    delete m_job;  // cancels and waits
}

void SourceIngestor::setTokenizer(std::shared_ptr<const m1::tokenizer> tokenizer) {
    m_tokenizer = std::move(tokenizer);
    if (!m_tokenizer) return;
    for (int row = 0; row < m_model->sourceCount(); ++row) {
        const QString path = m_model->absolutePath(row);
        bool queued = path == m_jobPath;
        for (const Task& t : m_queue) queued = queued || t.path == path;
        if (m_model->state(row) == SourcesModel::State::Ready && !queued) m_queue.append({path, true});
    }
    // A job that started without a tokenizer is read again with it.
    if (m_job && !m_jobPath.isEmpty()) m_queue.append({m_jobPath, false});
    if (!m_job) next();
}

void SourceIngestor::read(int row) {
    if (row < 0 || row >= m_model->sourceCount()) return;
    m_queue.append({m_model->absolutePath(row), false});
    if (!m_job) next();
}

void SourceIngestor::cancelAll() {
    m_queue.clear();
    if (m_job) m_job->cancel();
}

void SourceIngestor::cancel(const QString& absolutePath) {
    m_queue.removeIf([&](const Task& t) { return t.path == absolutePath; });
    if (m_job && m_jobPath == absolutePath) m_job->cancel();
}

void SourceIngestor::next() {
    while (!m_queue.isEmpty()) {
        const Task task = m_queue.takeFirst();
        const int row = m_model->rowOfPath(task.path);
        if (row < 0) continue;
        if (task.recount) {
            m_job = new IngestJob(m_model->readSources(row), m_tokenizer, this);
        } else {
            const m1::app::WorkspaceSource ws = m_model->workspaceSource(row);
            m1::ingest::read_options o;
            if (!ws.ref.isEmpty()) o.ref = ws.ref.toStdString();
            for (const QString& g : ws.include) o.include.push_back(g.toStdString());
            for (const QString& g : ws.exclude) o.exclude.push_back(g.toStdString());
            o.contract = ws.contract;
            o.word_boxes = false;  // the viewer finds quotes on the page itself
            m_job = new IngestJob(task.path, o, m_tokenizer, this);
        }
        m_jobPath = task.path;
        const QString name = QFileInfo(task.path).fileName().isEmpty() ? task.path : QFileInfo(task.path).fileName();
        connect(m_job, &IngestJob::progress, this, [this, path = task.path, name](qint64 done, qint64 total, const QString& item) {
            m_model->setReading(m_model->rowOfPath(path), done, total, item);
            emit progress(name, done, total, item);
        });
        connect(m_job, &IngestJob::finished, this, [this, path = task.path, name](const IngestResult& r) {
            const int row = m_model->rowOfPath(path);
            if (row >= 0) {
                if (!r.error.isEmpty()) {
                    m_model->setFailed(row, r.error);
                    emit failed(name, r.error);
                } else if (r.cancelled) {
                    m_model->setFailed(row, tr("cancelled"));
                } else {
                    m_model->setRead(row, r.sources, r.counted);
                }
            }
            m_job->deleteLater();
            m_job = nullptr;
            m_jobPath.clear();
            next();
        });
        if (row >= 0) m_model->setReading(row, 0, 0, QString());
        emit busyChanged(true);
        m_job->start();
        return;
    }
    emit busyChanged(false);
    emit idle();
}

}  // namespace m1::ui
