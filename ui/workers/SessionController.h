// Runs the model and the analysis session on their own thread and reports to the GUI thread with queued signals.
//
//   GUI thread                         session thread
//   openModel(dir, device)   ───────►  EngineBackend::open, tokenizer for counting
//   setSources(...)          ───────►  (kept; the context is rebuilt at the next ask)
//   ask(question, sampling)  ───────►  AnalysisSession::setContext (when changed) → prefill → stream
//   stop()  (atomic flag, any thread)  checked between prefill chunks and tokens
//            ◄───────  modelOpened, prefillProgress, reasoningDelta, answerDelta, citationFound, turnFinished …
//
// Streamed text is coalesced on the session thread into at most one delta per 25 ms per kind, so a model that
// streams thousands of tokens a second costs the GUI thread a few dozen events a second, not one per token.
// The controller lives on the GUI thread; destroying it stops the work and joins the thread.
#pragma once

#include "app/backends/ModelBackend.h"
#include "app/session/Conversation.h"
#include "ui/Metatypes.h"
#include "ui/models/SourcesModel.h"

#include <QHash>
#include <QObject>
#include <QThread>

#include <atomic>
#include <functional>
#include <memory>

namespace m1 {
class tokenizer;
}

namespace m1::ui {

class SessionWorker;

class SessionController : public QObject {
    Q_OBJECT
public:
    // Opens a model directory on the session thread; nullptr with *error on failure.
    using BackendFactory = std::function<std::unique_ptr<m1::app::ModelBackend>(const QString& modelDir,
                                                                                  const QString& device, QString* error)>;

    explicit SessionController(QObject* parent = nullptr);
    ~SessionController() override;

    // Which backend openModel() makes; the embedded engine (EngineBackend::open) unless replaced. Takes effect at the
    // next openModel().
    void setBackendFactory(BackendFactory factory) { m_factory = std::move(factory); }

    void openModel(const QString& modelDir, const QString& device);
    // An OpenAI-compatible server (RemoteBackend); `tokenizerFile` counts the context. API key: $M1_API_KEY.
    void openRemote(const QString& url, const QString& tokenizerFile);
    // The sources and prompt of the next question; the conversation so far is kept.
    void setSources(std::vector<ReadSource> sources, const QString& systemPrompt, qint64 outputReserve);
    void ask(const QString& question, const m1::app::SamplingSettings& sampling);
    // Stops the prefill or the answer in progress (the partial turn is kept), or drops a model still loading.
    void stop();
    // Starts over with this conversation (an opened session file), or an empty one.
    void setConversation(const m1::app::Conversation& conversation);

    bool isBusy() const { return m_busy; }
    bool hasModel() const { return m_hasModel; }
    m1::app::ModelInfo modelInfo() const { return m_info; }
    qint64 contextTokens() const { return m_contextTokens; }
    std::shared_ptr<const m1::tokenizer> tokenizer() const { return m_tokenizer; }
    // The conversation as of the last finished turn (for saving and reports).
    const m1::app::Conversation& conversation() const { return m_conversation; }
    // The source behind each tag of the current context ("S1" → the PDF it was built from).
    std::shared_ptr<const m1::ingest::source> sourceForTag(const QString& tag) const { return m_tags.value(tag); }

signals:
    void busyChanged(bool busy);
    void modelOpening(const QString& modelDir);
    void modelOpened(const m1::app::ModelInfo& info, qint64 contextTokens);
    void modelFailed(const QString& error);
    void contextReady(qint64 tokens);
    void prefillProgress(qint64 done, qint64 total, double seconds, bool prefix);
    void turnStarted(const QString& question);
    void reasoningDelta(const QString& text, qint64 tokens);
    void answerDelta(const QString& text);
    void citationFound(const m1::app::Citation& citation);
    void turnFinished(const m1::app::Turn& turn, bool stopped);
    void failed(const QString& error);

private:
    friend class SessionWorker;
    void setBusy(bool busy);
    void open(const QString& label, const QString& tokenizerFile, BackendFactory factory);

    BackendFactory m_factory;
    QThread m_thread;
    SessionWorker* m_worker = nullptr;  // lives on m_thread; deleted when it finishes
    std::shared_ptr<std::atomic<bool>> m_cancel;
    bool m_busy = false;
    bool m_hasModel = false;
    m1::app::ModelInfo m_info;
    qint64 m_contextTokens = 0;
    std::shared_ptr<const m1::tokenizer> m_tokenizer;
    m1::app::Conversation m_conversation;
    QHash<QString, std::shared_ptr<const m1::ingest::source>> m_tags;
};

}  // namespace m1::ui
