#include "app/session/AnalysisSession.h"

#include "app/citations/CitationParser.h"
#include "engine/chat/output_parser.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>

#include <algorithm>

namespace m1::app {
namespace {

// SHA-256 of the file for single-file sources; for folders and repositories, of every segment's place and text
// (the content that went into the context).
QString sourceSha256(const m1::ingest::source& src) {
    QCryptographicHash hash(QCryptographicHash::Sha256);
    QFile file(QString::fromStdString(src.path));
    if (QFileInfo(file).isFile() && file.open(QIODevice::ReadOnly)) {
        hash.addData(&file);
        return QString::fromLatin1(hash.result().toHex());
    }
    for (const m1::ingest::segment& seg : src.segments) {
        const std::string place = seg.where.file + ":" + std::to_string(seg.where.line_start) + "\n";
        hash.addData(QByteArrayView(place.data(), qsizetype(place.size())));
        hash.addData(QByteArrayView(seg.text.data(), qsizetype(seg.text.size())));
    }
    return QString::fromLatin1(hash.result().toHex());
}

}  // namespace

AnalysisSession::AnalysisSession(ModelBackend& backend) : m_backend(backend) {
    m_conversation.model = backend.info();
}

bool AnalysisSession::setContext(const QString& systemPrompt, const QList<ContextSource>& sources,
                                 qint64 outputReserve, QString* error) {
    ContextBuilder builder(m_backend.tokenizer());
    ContextResult result = builder.build(systemPrompt, sources, {m_backend.contextTokens(), outputReserve});
    if (!result.fits) {
        *error = result.error;
        return false;
    }
    m_context = std::move(result);
    m_prefilled = false;
    m_verifier = CitationVerifier();
    m_conversation.systemPrompt = systemPrompt;
    m_conversation.sampling.maxOutputTokens = int(outputReserve);
    m_conversation.sources.clear();
    for (int i = 0; i < m_context.sources.size(); ++i) {
        const ContextSourceReport& r = m_context.sources[i];
        const m1::ingest::source* src = m_context.ordered[i];
        m_verifier.addSource(r.tag, src);
        SourceRecord rec;
        rec.tag = r.tag;
        rec.kind = r.kind;
        rec.path = QString::fromStdString(src->path);
        rec.sha256 = sourceSha256(*src);
        for (const auto& seg : src->segments)
            if (!seg.where.commit.empty()) {
                rec.commit = QString::fromStdString(seg.where.commit);
                break;
            }
        rec.tokens = r.tokens;
        m_conversation.sources.append(rec);
    }
    return true;
}

bool AnalysisSession::prefillSources(const AnalysisCallbacks& callbacks, const std::atomic<bool>& cancel,
                                     QString* error) {
    GenerationCallbacks gc;
    if (callbacks.prefill) gc.progress = [&](const PrefillProgress& p) { return callbacks.prefill(p, true); };
    m_prefilled = m_backend.preparePrefix(m_context.prefixIds, gc, cancel, error);
    return m_prefilled;
}

bool AnalysisSession::ask(const QString& question, const AnalysisCallbacks& callbacks, const std::atomic<bool>& cancel,
                          QString* error) {
    // When the sources are prefilled for this very question, their tokens count as this turn's prompt, not as reuse.
    const bool prefilledForThisTurn = !m_prefilled;
    if (!m_prefilled && !prefillSources(callbacks, cancel, error)) return false;

    QList<QPair<QString, QString>> history;
    for (const Turn& t : m_conversation.turns) history.append({t.question, t.answer});
    const std::string suffix = ContextBuilder::turnSuffix(history, question);

    Turn turn;
    turn.question = question;
    m1::output_parser parser;
    CitationParser citations;
    std::vector<m1::output_event> events;
    QElapsedTimer clock;
    clock.start();
    qint64 reasoningStart = -1, reasoningEnd = -1;
    bool keepGoing = true;

    auto handle = [&](const std::vector<m1::output_event>& evs) {
        for (const m1::output_event& e : evs) {
            const QString text = QString::fromStdString(e.text);
            switch (e.kind) {
            case m1::output_event_kind::reasoning:
                if (reasoningStart < 0) reasoningStart = clock.elapsed();
                turn.reasoning += text;
                if (callbacks.reasoning && !callbacks.reasoning(text)) keepGoing = false;
                break;
            case m1::output_event_kind::answer: {
                if (reasoningStart >= 0 && reasoningEnd < 0) reasoningEnd = clock.elapsed();
                turn.answer += text;
                if (callbacks.answer && !callbacks.answer(text)) keepGoing = false;
                for (Citation c : citations.feed(text)) {
                    m_verifier.verify(c);
                    turn.citations.append(c);
                    if (callbacks.citation) callbacks.citation(c);
                }
                break;
            }
            case m1::output_event_kind::tool_call:
                if (callbacks.toolCall)
                    callbacks.toolCall(QString::fromStdString(e.name), QString::fromStdString(e.arguments.dump()));
                break;
            case m1::output_event_kind::tool_call_error:
            case m1::output_event_kind::end: break;
            }
        }
    };

    GenerationCallbacks gc;
    if (callbacks.prefill) gc.progress = [&](const PrefillProgress& p) { return callbacks.prefill(p, false); };
    gc.firstLogits = callbacks.firstLogits;
    qint64 reasoningDeltas = 0;
    gc.text = [&](const std::string& delta) {
        if (parser.in_reasoning()) ++reasoningDeltas;
        events.clear();
        parser.feed(delta, events);
        handle(events);
        return keepGoing;
    };
    GenerationStats stats;
    const bool ok = m_backend.generate(suffix, m_conversation.sampling, gc, cancel, &stats, error);
    events.clear();
    parser.finish(events);
    handle(events);

    turn.stats.timeToFirstTokenS = stats.timeToFirstTokenS;
    turn.stats.promptTokens = stats.promptTokens;
    turn.stats.reusedTokens = stats.reusedTokens;
    if (prefilledForThisTurn) {
        turn.stats.promptTokens += turn.stats.reusedTokens;
        turn.stats.reusedTokens = 0;
    }
    turn.stats.tokensPerSecond = stats.decodeSeconds > 0 ? double(stats.generatedTokens) / stats.decodeSeconds : 0;
    // Each text delta is one token (tokens that end inside a UTF-8 character arrive with the next one).
    turn.stats.reasoningTokens = std::min(reasoningDeltas, stats.generatedTokens);
    turn.stats.answerTokens = stats.generatedTokens - turn.stats.reasoningTokens;
    if (reasoningStart >= 0)
        turn.stats.reasoningSeconds = double((reasoningEnd >= 0 ? reasoningEnd : clock.elapsed()) - reasoningStart) / 1000.0;
    if (!error->isEmpty()) return false;
    m_conversation.turns.append(turn);
    return ok;
}

}  // namespace m1::app
