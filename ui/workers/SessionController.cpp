#include "ui/workers/SessionController.h"

#include "app/backends/EngineBackend.h"
#include "app/backends/RemoteBackend.h"
#include "app/session/AnalysisSession.h"
#include "engine/tokenizer/tokenizer.h"

#include <QDir>
#include <QElapsedTimer>

namespace m1::ui {

// Everything here runs on the session thread; results go back through post(), a functor queued to the controller
// (dropped by Qt if the controller is gone).
class SessionWorker : public QObject {
public:
    SessionWorker(SessionController* controller, std::shared_ptr<std::atomic<bool>> cancel)
        : m_controller(controller), m_cancel(std::move(cancel)) {}

    template <typename F>
    void post(F&& f) {
        QMetaObject::invokeMethod(m_controller, std::forward<F>(f), Qt::QueuedConnection);
    }

    void openModel(const QString& label, const QString& tokenizerFile, const SessionController::BackendFactory& factory) {
        m_session.reset();
        m_backend.reset();
        QString error;
        std::unique_ptr<m1::app::ModelBackend> backend = factory(label, QString(), &error);
        std::shared_ptr<const m1::tokenizer> tok;
        if (backend) {
            try {
                tok = m1::tokenizer::load(tokenizerFile.toStdString());
            } catch (const std::exception& e) {
                error = QString::fromUtf8(e.what());
                backend.reset();
            }
        }
        auto* c = m_controller;
        if (!backend || m_cancel->load()) {
            if (error.isEmpty()) error = QObject::tr("Loading the model was cancelled.");
            post([c, error] {
                c->setBusy(false);
                emit c->modelFailed(error);
            });
            return;
        }
        m_backend = std::move(backend);
        m_contextDirty = true;
        const m1::app::ModelInfo info = m_backend->info();
        const qint64 context = m_backend->contextTokens();
        post([c, info, context, tok] {
            c->m_hasModel = true;
            c->m_info = info;
            c->m_contextTokens = context;
            c->m_tokenizer = tok;
            c->setBusy(false);
            emit c->modelOpened(info, context);
        });
    }

    void setSources(std::vector<ReadSource> sources, const QString& system, qint64 reserve) {
        // Rendering and counting a large context takes seconds: redo it only when something changed.
        bool same = system == m_system && reserve == m_reserve && sources.size() == m_sources.size();
        for (size_t i = 0; same && i < sources.size(); ++i)
            same = sources[i].source == m_sources[i].source && sources[i].contract == m_sources[i].contract;
        if (same) return;
        m_sources = std::move(sources);
        m_system = system;
        m_reserve = reserve;
        m_contextDirty = true;
    }

    void setConversation(const m1::app::Conversation& conversation) {
        m_conversation = conversation;
        m_session.reset();
        m_contextDirty = true;
    }

    void ask(const QString& question, const m1::app::SamplingSettings& sampling) {
        auto* c = m_controller;
        auto fail = [&](const QString& error) {
            post([c, error] {
                c->setBusy(false);
                emit c->failed(error);
            });
        };
        if (!m_backend) return fail(QObject::tr("No model is loaded. Choose a model directory in Settings."));
        if (m_contextDirty || !m_session) {
            if (m_session) m_conversation = m_session->conversation();
            m_session = std::make_unique<m1::app::AnalysisSession>(*m_backend);
            QList<m1::app::ContextSource> context;
            for (const ReadSource& r : m_sources) context.append({r.source.get(), r.contract});
            QString error;
            if (!m_session->setContext(m_system, context, m_reserve, &error)) {
                m_session.reset();
                return fail(error);
            }
            // Keep the turns (and their history) across source changes; settings and sources are the new ones.
            m1::app::Conversation& conv = m_session->conversation();
            conv.turns = m_conversation.turns;
            conv.title = m_conversation.title;
            conv.workspace = m_conversation.workspace;
            m_contextDirty = false;
            QHash<QString, std::shared_ptr<const m1::ingest::source>> tags;
            const m1::app::ContextResult& r = m_session->context();
            for (qsizetype i = 0; i < r.sources.size() && i < r.ordered.size(); ++i)
                for (const ReadSource& s : m_sources)
                    if (s.source.get() == r.ordered[i]) tags.insert(r.sources[i].tag, s.source);
            const qint64 tokens = r.totalTokens;
            post([c, tags, tokens] {
                c->m_tags = tags;
                emit c->contextReady(tokens);
            });
        }
        m1::app::Conversation& conv = m_session->conversation();
        conv.sampling = sampling;
        conv.model = m_backend->info();
        if (conv.title.isEmpty()) conv.title = QObject::tr("M1 Studio: %1").arg(question);
        post([c, question] { emit c->turnStarted(question); });

        // Coalescing buffers: flushed every 25 ms, when the kind changes, and at the end.
        QString reasoning, answer;
        qint64 reasoningTokens = 0;
        QElapsedTimer flushClock, progressClock;
        flushClock.start();
        progressClock.start();
        auto flush = [&] {
            if (!reasoning.isEmpty()) {
                const QString text = reasoning;
                const qint64 tokens = reasoningTokens;
                post([c, text, tokens] { emit c->reasoningDelta(text, tokens); });
                reasoning.clear();
            }
            if (!answer.isEmpty()) {
                const QString text = answer;
                post([c, text] { emit c->answerDelta(text); });
                answer.clear();
            }
            flushClock.restart();
        };
        const std::atomic<bool>& cancel = *m_cancel;
        m1::app::AnalysisCallbacks cb;
        cb.prefill = [&](const m1::app::PrefillProgress& p, bool prefix) {
            if (p.done >= p.total || progressClock.elapsed() >= 100) {
                progressClock.restart();
                const qint64 done = p.done, total = p.total;
                const double seconds = p.seconds;
                post([c, done, total, seconds, prefix] { emit c->prefillProgress(done, total, seconds, prefix); });
            }
            return !cancel.load();
        };
        cb.reasoning = [&](const QString& delta) {
            if (!answer.isEmpty()) flush();
            reasoning += delta;
            ++reasoningTokens;
            if (flushClock.elapsed() >= 25) flush();
            return !cancel.load();
        };
        cb.answer = [&](const QString& delta) {
            if (!reasoning.isEmpty()) flush();
            answer += delta;
            if (flushClock.elapsed() >= 25) flush();
            return !cancel.load();
        };
        cb.citation = [&](const m1::app::Citation& citation) {
            flush();
            post([c, citation] { emit c->citationFound(citation); });
        };
        QString error;
        const qsizetype before = conv.turns.size();
        const bool ok = m_session->ask(question, cb, cancel, &error);
        flush();
        const bool stopped = cancel.load();
        if (!ok && !error.isEmpty()) return fail(error);
        const m1::app::Conversation snapshot = conv;
        const bool haveTurn = conv.turns.size() > before;
        const m1::app::Turn turn = haveTurn ? conv.turns.back() : m1::app::Turn{question, {}, {}, {}, {}};
        post([c, snapshot, turn, stopped] {
            c->m_conversation = snapshot;
            c->setBusy(false);
            emit c->turnFinished(turn, stopped);
        });
    }

private:
    SessionController* m_controller;
    std::shared_ptr<std::atomic<bool>> m_cancel;
    std::unique_ptr<m1::app::ModelBackend> m_backend;
    std::unique_ptr<m1::app::AnalysisSession> m_session;
    std::vector<ReadSource> m_sources;
    QString m_system;
    qint64 m_reserve = 40960;
    bool m_contextDirty = true;
    m1::app::Conversation m_conversation;
};

SessionController::SessionController(QObject* parent)
    : QObject(parent), m_cancel(std::make_shared<std::atomic<bool>>(false)) {
    registerMetatypes();
    m_thread.setObjectName(QStringLiteral("m1-session"));
    m_worker = new SessionWorker(this, m_cancel);
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread.start();
}

SessionController::~SessionController() {
    m_cancel->store(true);
    m_thread.quit();
    m_thread.wait();
}

void SessionController::setBusy(bool busy) {
    if (m_busy == busy) return;
    m_busy = busy;
    emit busyChanged(busy);
}

void SessionController::openModel(const QString& modelDir, const QString& device) {
    BackendFactory factory = m_factory;
    if (!factory)
        factory = [](const QString& dir, const QString& dev, QString* error) -> std::unique_ptr<m1::app::ModelBackend> {
            return m1::app::EngineBackend::open(dir, dev, error);
        };
    open(modelDir, QDir(modelDir).filePath(QStringLiteral("tokenizer.json")),
         [factory, device](const QString& dir, const QString&, QString* error) { return factory(dir, device, error); });
}

void SessionController::openRemote(const QString& url, const QString& tokenizerFile) {
    open(url, tokenizerFile, [tokenizerFile](const QString& endpoint, const QString&, QString* error) {
        m1::app::RemoteSettings rs;
        rs.url = endpoint.toStdString();
        rs.tokenizerPath = tokenizerFile.toStdString();
        rs.apiKey = qEnvironmentVariable("M1_API_KEY").toStdString();
        return std::unique_ptr<m1::app::ModelBackend>(m1::app::RemoteBackend::open(rs, error));
    });
}

void SessionController::open(const QString& label, const QString& tokenizerFile, BackendFactory factory) {
    m_cancel->store(false);
    m_hasModel = false;
    m_tokenizer.reset();
    setBusy(true);
    emit modelOpening(label);
    SessionWorker* w = m_worker;
    QMetaObject::invokeMethod(
        w, [w, label, tokenizerFile, factory] { w->openModel(label, tokenizerFile, factory); }, Qt::QueuedConnection);
}

void SessionController::setSources(std::vector<ReadSource> sources, const QString& systemPrompt, qint64 outputReserve) {
    SessionWorker* w = m_worker;
    QMetaObject::invokeMethod(
        w, [w, sources = std::move(sources), systemPrompt, outputReserve]() mutable {
            w->setSources(std::move(sources), systemPrompt, outputReserve);
        },
        Qt::QueuedConnection);
}

void SessionController::ask(const QString& question, const m1::app::SamplingSettings& sampling) {
    m_cancel->store(false);
    setBusy(true);
    SessionWorker* w = m_worker;
    QMetaObject::invokeMethod(w, [w, question, sampling] { w->ask(question, sampling); }, Qt::QueuedConnection);
}

void SessionController::stop() { m_cancel->store(true); }

void SessionController::setConversation(const m1::app::Conversation& conversation) {
    m_conversation = conversation;
    SessionWorker* w = m_worker;
    QMetaObject::invokeMethod(w, [w, conversation] { w->setConversation(conversation); }, Qt::QueuedConnection);
}

}  // namespace m1::ui
