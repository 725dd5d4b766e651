// Reads the SourcesModel's sources one job at a time (each job spreads over the cores itself), counts their
// tokens with the current tokenizer, and writes progress and results back into the model. A new tokenizer (another
// model) recounts what was read. GUI thread only; the reading happens in IngestJob's pool thread.
#pragma once

#include "ui/models/SourcesModel.h"

#include <QObject>
#include <QStringList>

#include <memory>

namespace m1 {
class tokenizer;
}

namespace m1::ui {

class IngestJob;

class SourceIngestor : public QObject {
    Q_OBJECT
public:
    explicit SourceIngestor(SourcesModel* model, QObject* parent = nullptr);
    ~SourceIngestor() override;

    void setTokenizer(std::shared_ptr<const m1::tokenizer> tokenizer);
    // Queues the source at `row` for reading (its workspace entry gives ref, globs and the contract flag).
    void read(int row);
    // Cancels the running job and drops the queue.
    void cancelAll();
    // Cancels the job of one source (when it is removed).
    void cancel(const QString& absolutePath);
    bool isBusy() const { return m_job != nullptr; }

signals:
    void busyChanged(bool busy);
    void progress(const QString& source, qint64 done, qint64 total, const QString& item);
    void failed(const QString& source, const QString& error);
    void idle();

private:
    struct Task {
        QString path;
        bool recount = false;
    };
    void next();

    SourcesModel* m_model;
    std::shared_ptr<const m1::tokenizer> m_tokenizer;
    QList<Task> m_queue;
    IngestJob* m_job = nullptr;
    QString m_jobPath;
};

}  // namespace m1::ui
