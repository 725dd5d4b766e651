#include "app/context/ContextBuilder.h"

#include "engine/chat/chat_format.h"

#include <QLocale>

#include <algorithm>

namespace m1::app {
namespace {

using m1::ingest::segment;
using m1::ingest::source;
using m1::ingest::source_kind;

char tagLetter(const ContextSource& s) {
    if (s.contract) return 'C';
    switch (s.source->kind) {
    case source_kind::pdf: return 'S';
    case source_kind::docx: return 'C';
    case source_kind::git: return 'R';
    case source_kind::text: return 'T';
    }
    return 'T';
}

// Lower is more stable; a stable sort keeps the user's order within a rank.
int stabilityRank(const ContextSource& s) {
    switch (s.source->kind) {
    case source_kind::pdf: return s.contract ? 1 : 0;
    case source_kind::docx: return 1;
    case source_kind::git: return 2;
    case source_kind::text: return 3;
    }
    return 3;
}

void appendNumberedLines(std::string& out, const segment& seg) {
    int n = seg.where.line_start;
    size_t pos = 0;
    while (pos < seg.text.size()) {
        size_t nl = seg.text.find('\n', pos);
        const size_t end = nl == std::string::npos ? seg.text.size() : nl + 1;
        out += std::to_string(n++);
        out += "| ";
        out.append(seg.text, pos, end - pos);
        pos = end;
    }
    if (!out.empty() && out.back() != '\n') out += '\n';
}

std::string anchorLine(const std::string& tag, char letter, const segment& seg) {
    std::string a = "[" + tag + " ";
    if (letter == 'C' && !seg.where.clause.empty()) {
        a += "\xc2\xa7" + seg.where.clause;
        if (seg.where.page > 0) a += " p." + std::to_string(seg.where.page);
    } else if (letter == 'S' || (seg.where.page > 0 && seg.where.line_start == 0)) {
        a += "p." + std::to_string(seg.where.page);
    } else if (letter == 'R') {
        a += seg.where.file + ":" + std::to_string(seg.where.line_start) + "-" + std::to_string(seg.where.line_end);
    } else {
        a += "L" + std::to_string(seg.where.line_start) + "-" + std::to_string(seg.where.line_end);
    }
    return a + "]\n";
}

std::string xmlAttr(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '"') out += "&quot;";
        else if (c == '<') out += "&lt;";
        else if (c == '&') out += "&amp;";
        else out += c;
    }
    return out;
}

std::string renderSource(const ContextSource& cs, const std::string& tag, char letter) {
    const source& src = *cs.source;
    std::string out = "<source tag=\"" + tag + "\" kind=\"" + m1::ingest::to_string(src.kind) + "\" title=\"" +
                      xmlAttr(src.title.empty() ? src.path : src.title) + "\"";
    for (const segment& s : src.segments) {
        if (!s.where.commit.empty()) {
            out += " commit=\"" + s.where.commit + "\"";
            break;
        }
    }
    out += ">\n";
    for (const segment& seg : src.segments) {
        out += anchorLine(tag, letter, seg);
        if (seg.where.line_start > 0 && letter != 'S' && !(letter == 'C' && !seg.where.clause.empty()))
            appendNumberedLines(out, seg);
        else {
            out += seg.text;
            if (!seg.text.empty() && seg.text.back() != '\n') out += '\n';
        }
    }
    out += "</source>\n";
    return out;
}

}  // namespace

QString ContextBuilder::citationInstructions() {
    return QStringLiteral(
        "The user's sources are below, each in a <source> block with a tag (S = document, C = contract, "
        "R = repository, T = text file). Every passage starts with its anchor in square brackets: a page "
        "[S1 p.14], a clause [C1 \u00a712.3(a)], file lines [R1 src/io.c:120-134] or lines [T1 L10-12]; repository "
        "and text lines are numbered.\n"
        "Answer from the sources. Support every claim with a citation in exactly this form: the tag, the location, "
        "and a short exact quote from that place in double quotes, e.g. [S1 p.14 \"the exact words\"] or "
        "[R1 src/io.c:120-122 \"int fd = open(path\"]. Quote the source's words exactly; do not cite what is not "
        "in the sources; say so when the sources do not answer the question.");
}

QString ContextBuilder::systemPromptPreset(const QString& name) {
    if (name == QLatin1String("math"))
        return QStringLiteral("Please reason step by step, and put your final answer within \\boxed{}.");
    if (name == QLatin1String("webdev"))
        return QStringLiteral(
            "You are a web development engineer, writing web pages according to the instructions below. You are a "
            "powerful code editing assistant capable of writing code and creating artifacts in conversations with "
            "users, or modifying and updating existing artifacts as requested by users.");
    return QStringLiteral("You are a helpful assistant.");
}

ContextResult ContextBuilder::build(const QString& systemPrompt, const QList<ContextSource>& sources,
                                    const ContextBudget& budget) const {
    QList<ContextSource> ordered = sources;
    std::stable_sort(ordered.begin(), ordered.end(), [](const ContextSource& a, const ContextSource& b) {
        return stabilityRank(a) < stabilityRank(b);
    });

    ContextResult result;
    std::string body = systemPrompt.toStdString() + "\n\n" + citationInstructions().toStdString() + "\n\n<sources>\n";
    int counters[128] = {};
    for (const ContextSource& cs : ordered) {
        const char letter = tagLetter(cs);
        const std::string tag = std::string(1, letter) + std::to_string(++counters[int(letter)]);
        const std::string block = renderSource(cs, tag, letter);
        body += block;
        ContextSourceReport r;
        r.tag = QString::fromStdString(tag);
        r.title = QString::fromStdString(cs.source->title.empty() ? cs.source->path : cs.source->title);
        r.kind = QString::fromLatin1(m1::ingest::to_string(cs.source->kind));
        r.tokens = qint64(m_tokenizer.count(block));
        r.segments = int(cs.source->segments.size());
        result.sources.append(r);
        result.ordered.append(cs.source);
    }
    body += "</sources>";

    m1::chat_conversation conv;
    conv.messages.push_back({m1::chat_role::system, {m1::chat_part{"text", body, ""}}});
    result.prefix = m1::render_chat(conv, /*add_generation_prompt=*/false);
    result.prefixIds = m_tokenizer.encode(result.prefix);
    result.totalTokens = qint64(result.prefixIds.size());
    result.fits = result.totalTokens <= budget.available();
    if (!result.fits) {
        const QLocale c = QLocale::c();
        QString msg = QStringLiteral("The sources need %1 tokens but only %2 fit (context %3 minus %4 reserved for "
                                     "reasoning and answer). Leave out some of them:")
                          .arg(c.toString(result.totalTokens), c.toString(budget.available()),
                               c.toString(budget.contextTokens), c.toString(budget.outputReserve));
        for (const ContextSourceReport& r : result.sources)
            msg += QStringLiteral("\n  %1  %2 tokens  %3").arg(r.tag, -4).arg(c.toString(r.tokens), 12).arg(r.title);
        result.error = msg;
    }
    return result;
}

std::string ContextBuilder::turnSuffix(const QList<QPair<QString, QString>>& earlierTurns, const QString& question) {
    // Render the whole conversation with an empty system block, then drop that block: the template renders
    // messages one after the other, so the suffix does not depend on the prefix.
    m1::chat_conversation conv;
    for (const auto& [q, a] : earlierTurns) {
        conv.messages.push_back({m1::chat_role::user, {m1::chat_part{"text", q.toStdString(), ""}}});
        conv.messages.push_back({m1::chat_role::assistant, {m1::chat_part{"text", a.toStdString(), ""}}});
    }
    conv.messages.push_back({m1::chat_role::user, {m1::chat_part{"text", question.toStdString(), ""}}});
    const std::string head = m1::render_chat(m1::chat_conversation{}, false);  // "<begin_of_document>"
    std::string full = m1::render_chat(conv, true);
    return full.substr(head.size());
}

}  // namespace m1::app
