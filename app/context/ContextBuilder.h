// Renders the sources of a workspace into one prompt prefix with citation anchors, counts it with the model's
// tokenizer, and checks it against the budget: the model's context minus the output reserved for reasoning and
// answer. Over budget it refuses with per-source counts and never truncates anything silently.
//
// The prefix is the system block of the chat format: the system prompt, the citation instructions, then every
// included source in a tagged block. Questions are appended after it as user turns, so the prefix (the expensive
// part) is prefilled once and reused by every question. Sources are ordered from the most stable (PDFs, contracts,
// repositories at a commit) to the least (loose text files), keeping the prefix reusable when text files change.
//
// Anchors in the rendered text, one per segment, in the form the model is told to cite:
//   PDF         [S1 p.14]            then the page's text
//   contract    [C1 §12.3(a)]        then the clause's text (and p.N when the contract is a PDF)
//   repository  [R1 src/io.c:120-134] then the lines, each prefixed with its number
//   text file   [T1 L1-40]           then the lines, each prefixed with its number
// Thread-safety: build() is const and may run on a worker thread; the tokenizer must outlive the builder.
#pragma once

#include "engine/tokenizer/tokenizer.h"
#include "ingest/core/source.h"

#include <QList>
#include <QString>

#include <string>
#include <vector>

namespace m1::app {

struct ContextSource {
    const m1::ingest::source* source = nullptr;  // borrowed; must outlive the build result's use
    bool contract = false;                        // render with clause anchors (tag C)
};

struct ContextBudget {
    qint64 contextTokens = 1000000;  // MiniMax-M1: 1M
    qint64 outputReserve = 40960;    // thinking + answer (M1-40k: 40K, M1-80k: 80K)
    qint64 available() const { return contextTokens - outputReserve; }
};

struct ContextSourceReport {
    QString tag;          // "S1"
    QString title;
    QString kind;         // "pdf", "docx", "text", "git"
    qint64 tokens = 0;    // tokens of this source's rendered block
    int segments = 0;
};

struct ContextResult {
    bool fits = false;
    QString error;                        // over budget: the totals and per-source counts; empty when it fits
    std::string prefix;                   // the rendered system block (ends with "<end_of_sentence>\n")
    std::vector<int32_t> prefixIds;       // its tokens
    qint64 totalTokens = 0;               // == prefixIds.size()
    QList<ContextSourceReport> sources;   // in prompt order
    QList<const m1::ingest::source*> ordered;  // same order as `sources`, for the citation verifier
};

class ContextBuilder {
public:
    explicit ContextBuilder(const m1::tokenizer& tokenizer) : m_tokenizer(tokenizer) {}

    // The text the model gets before the sources: what the sources are and how to cite them.
    static QString citationInstructions();
    // The three presets of product.md: "general", "webdev", "math". Unknown names fall back to general.
    static QString systemPromptPreset(const QString& name);

    ContextResult build(const QString& systemPrompt, const QList<ContextSource>& sources,
                        const ContextBudget& budget) const;

    // The text appended after the prefix for a conversation that goes on: earlier turns (question, answer) and the
    // new question, ending with the generation prompt. prefix + turnSuffix(...) is what the chat template renders
    // for the whole conversation.
    static std::string turnSuffix(const QList<QPair<QString, QString>>& earlierTurns, const QString& question);

private:
    const m1::tokenizer& m_tokenizer;
};

}  // namespace m1::app
