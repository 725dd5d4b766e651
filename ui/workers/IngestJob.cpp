#include "ui/workers/IngestJob.h"

#include "engine/tokenizer/tokenizer.h"
#include "ingest/core/run_control.h"

#include <QPromise>
#include <QtConcurrent/QtConcurrentRun>

#include <chrono>
#include <thread>

namespace m1::ui {

struct IngestJob::Shared {
    std::atomic<bool> cancel{false};
};

namespace {

// Leaves one core to the GUI thread: with every core busy reading, the event loop would wait for a time slice.
unsigned readerThreads() {
    const unsigned n = std::thread::hardware_concurrency();
    return n > 1 ? n - 1 : 1;
}

// Forwards progress to the promise, at most every 30 ms (and always for the last item).
struct Throttle {
    QPromise<IngestResult>& promise;
    std::chrono::steady_clock::time_point last{};
    void report(size_t done, size_t total, const QString& item) {
        const auto now = std::chrono::steady_clock::now();
        if (done < total && now - last < std::chrono::milliseconds(30)) return;
        last = now;
        promise.setProgressRange(0, int(total));
        promise.setProgressValueAndText(int(done), item);
    }
};

void countAll(std::vector<ReadSource>& sources, const m1::tokenizer& tok, m1::ingest::run_options run) {
    const m1::ingest::token_counter counter = [&tok](std::string_view text) { return tok.count(text); };
    for (ReadSource& r : sources) {
        auto copy = std::make_shared<m1::ingest::source>(*r.source);
        m1::ingest::count_tokens(*copy, counter, run);
        r.source = std::move(copy);
    }
}

}  // namespace

IngestJob::IngestJob(const QString& path, m1::ingest::read_options options,
                     std::shared_ptr<const m1::tokenizer> tokenizer, QObject* parent)
    : QObject(parent), m_path(path), m_options(std::move(options)), m_tokenizer(std::move(tokenizer)),
      m_shared(std::make_shared<Shared>()) {}

IngestJob::IngestJob(std::vector<ReadSource> sources, std::shared_ptr<const m1::tokenizer> tokenizer, QObject* parent)
    : QObject(parent), m_given(std::move(sources)), m_tokenizer(std::move(tokenizer)),
      m_shared(std::make_shared<Shared>()) {}

IngestJob::~IngestJob() {
    if (m_watcher.isRunning()) {
        cancel();
        m_watcher.waitForFinished();
    }
}

void IngestJob::cancel() { m_shared->cancel.store(true); }

void IngestJob::start() {
    connect(&m_watcher, &QFutureWatcher<IngestResult>::progressValueChanged, this, [this](int value) {
        emit progress(value, m_watcher.progressMaximum(), m_watcher.progressText());
    });
    connect(&m_watcher, &QFutureWatcher<IngestResult>::finished, this, [this] {
        const QFuture<IngestResult> f = m_watcher.future();
        emit finished(f.resultCount() > 0 ? f.result() : IngestResult{{}, false, true, {}});
    });

    const std::string path = m_path.toStdString();
    m1::ingest::read_options options = m_options;
    std::vector<ReadSource> given = m_given;
    std::shared_ptr<const m1::tokenizer> tok = m_tokenizer;
    std::shared_ptr<Shared> shared = m_shared;
    m_watcher.setFuture(QtConcurrent::run([=](QPromise<IngestResult>& promise) mutable {
        IngestResult result;
        Throttle throttle{promise};
        options.run.cancel = &shared->cancel;
        options.run.threads = readerThreads();
        options.run.progress = [&](const m1::ingest::progress_event& e) {
            throttle.report(e.done, e.total, QString::fromUtf8(e.item.data(), qsizetype(e.item.size())));
            return !shared->cancel.load();
        };
        try {
            if (given.empty()) {
                m1::ingest::read_result r = m1::ingest::read_path(path, options);
                for (m1::ingest::source& s : r.sources)
                    result.sources.push_back({std::make_shared<const m1::ingest::source>(std::move(s)), r.contract});
            } else {
                result.sources = std::move(given);
            }
            if (tok) {
                m1::ingest::run_options run = options.run;
                run.progress = [&](const m1::ingest::progress_event& e) {
                    throttle.report(e.done, e.total, QObject::tr("counting tokens"));
                    return !shared->cancel.load();
                };
                countAll(result.sources, *tok, run);
                result.counted = true;
            }
        } catch (const m1::ingest::ingest_cancelled&) {
            result = {};
            result.cancelled = true;
        } catch (const std::exception& e) {
            result = {};
            result.error = QString::fromUtf8(e.what());
        }
        if (shared->cancel.load() && result.error.isEmpty()) {
            result = {};
            result.cancelled = true;
        }
        promise.addResult(std::move(result));
    }));
}

}  // namespace m1::ui
