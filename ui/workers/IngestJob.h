// Reads one source path (ingest::read_path) and counts its tokens with the model's tokenizer, on a pool thread, so
// that the GUI thread never waits on a PDF or a repository. Progress arrives as queued signals (at most every 30 ms),
// cancel() is an atomic flag the readers check between files and pages.
//
// Lifetime: the job owns its QFutureWatcher; deleting a running job cancels it and waits for the pool thread (which
// stops within one file's or page's time). Create, connect and delete on the GUI thread; cancel() is thread-safe.
#pragma once

#include "ingest/read_any.h"
#include "ui/models/SourcesModel.h"

#include <QFutureWatcher>
#include <QObject>

#include <atomic>
#include <memory>

namespace m1 {
class tokenizer;
}

namespace m1::ui {

struct IngestResult {
    std::vector<ReadSource> sources;
    bool counted = false;  // tokens counted with the tokenizer
    bool cancelled = false;
    QString error;         // empty on success and on cancel
};

class IngestJob : public QObject {
    Q_OBJECT
public:
    // Reads `path`; counts tokens when `tokenizer` is not null (it must be safe to call count() from several
    // threads, which m1::tokenizer is).
    IngestJob(const QString& path, m1::ingest::read_options options, std::shared_ptr<const m1::tokenizer> tokenizer,
              QObject* parent = nullptr);
    // Counts the tokens of sources read earlier (when the model, and so the tokenizer, changes).
    IngestJob(std::vector<ReadSource> sources, std::shared_ptr<const m1::tokenizer> tokenizer, QObject* parent = nullptr);
    ~IngestJob() override;

    void start();
    void cancel();
    bool isRunning() const { return m_watcher.isRunning(); }
    QString path() const { return m_path; }

signals:
    void progress(qint64 done, qint64 total, const QString& item);
    void finished(const m1::ui::IngestResult& result);

private:
    struct Shared;
    QString m_path;
    m1::ingest::read_options m_options;
    std::vector<ReadSource> m_given;
    std::shared_ptr<const m1::tokenizer> m_tokenizer;
    std::shared_ptr<Shared> m_shared;
    QFutureWatcher<IngestResult> m_watcher;
};

}  // namespace m1::ui

Q_DECLARE_METATYPE(m1::ui::IngestResult)
