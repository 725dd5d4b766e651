#include "app/report/ReportWriter.h"

#include "app/core/JsonFile.h"

#include <QFileInfo>
#include <QFont>
#include <QPageLayout>
#include <QPageSize>
#include <QPdfWriter>
#include <QSaveFile>
#include <QTextDocument>

namespace m1::app {
namespace {

QString modelLine(const ModelInfo& m) {
    QString line = m.name.isEmpty() ? QStringLiteral("(unnamed model)") : m.name;
    if (!m.backend.isEmpty()) line += QStringLiteral(" (%1)").arg(m.backend);
    if (!m.location.isEmpty()) line += QStringLiteral(", %1").arg(m.location);
    return line;
}

QString samplingLine(const SamplingSettings& s) {
    return QStringLiteral("temperature %1, top-p %2, top-k %3, seed %4, output budget %5 tokens")
        .arg(s.temperature)
        .arg(s.topP)
        .arg(s.topK > 0 ? QString::number(s.topK) : QStringLiteral("off"))
        .arg(s.seed)
        .arg(s.maxOutputTokens);
}

const QString kRandomWeightsWarning = QStringLiteral(
    "DEMO MODEL WITH RANDOM WEIGHTS: the answers below are noise produced to exercise the pipeline, not analysis.");

QString escapeTableCell(QString s) {
    s.replace(QLatin1Char('\\'), QStringLiteral("\\\\"));
    s.replace(QLatin1Char('|'), QStringLiteral("\\|"));
    s.replace(QLatin1Char('\n'), QLatin1Char(' '));
    return s;
}

QString blockquote(const QString& text) {
    QString out;
    for (const QString& line : text.split(QLatin1Char('\n'))) out += QStringLiteral("> ") + line + QLatin1Char('\n');
    return out;
}

QString fenced(const QString& text) {
    QString fence = QStringLiteral("```");
    while (text.contains(fence)) fence += QLatin1Char('`');
    return fence + QStringLiteral("text\n") + text + (text.endsWith(QLatin1Char('\n')) ? "" : "\n") + fence + "\n";
}

QString statsLine(const TurnStats& st) {
    return QStringLiteral("time to first token %1 s · %2 tokens/s · %3 prompt tokens (%4 reused from the prefilled "
                          "prefix) · %5 reasoning + %6 answer tokens")
        .arg(st.timeToFirstTokenS, 0, 'f', 2)
        .arg(st.tokensPerSecond, 0, 'f', 1)
        .arg(st.promptTokens)
        .arg(st.reusedTokens)
        .arg(st.reasoningTokens)
        .arg(st.answerTokens);
}

QString locationLabel(const Citation& c) {
    switch (c.location) {
    case Citation::Location::Page:
        return c.pageFirst == c.pageLast ? QStringLiteral("page %1").arg(c.pageFirst)
                                         : QStringLiteral("pages %1-%2").arg(c.pageFirst).arg(c.pageLast);
    case Citation::Location::Lines: {
        const QString lines = c.lineFirst == c.lineLast ? QStringLiteral("line %1").arg(c.lineFirst)
                                                        : QStringLiteral("lines %1-%2").arg(c.lineFirst).arg(c.lineLast);
        return c.file.isEmpty() ? lines : c.file + QStringLiteral(", ") + lines;
    }
    case Citation::Location::Clause: return QStringLiteral("clause %1").arg(c.clause);
    }
    return {};
}

}  // namespace

QString ReportWriter::markdown(const Conversation& conv, const ReportOptions& options) {
    QString md;
    md += QStringLiteral("# %1\n\n").arg(conv.title.isEmpty() ? QStringLiteral("M1 Studio report") : conv.title);
    if (conv.model.randomWeights) md += QStringLiteral("**%1**\n\n").arg(kRandomWeightsWarning);
    md += QStringLiteral("- Model: %1\n- Sampling: %2\n").arg(modelLine(conv.model), samplingLine(conv.sampling));
    if (!conv.systemPrompt.isEmpty()) md += QStringLiteral("- System prompt: %1\n").arg(conv.systemPrompt);
    md += QLatin1Char('\n');

    for (int i = 0; i < conv.turns.size(); ++i) {
        const Turn& t = conv.turns[i];
        md += QStringLiteral("## Question %1\n\n").arg(i + 1) + blockquote(t.question) + QLatin1Char('\n');
        md += QStringLiteral("### Answer\n\n") + t.answer.trimmed() + QStringLiteral("\n\n");
        md += QStringLiteral("*%1*\n\n").arg(statsLine(t.stats));
        if (!t.citations.isEmpty()) {
            md += QStringLiteral("### Citations\n\n| # | Source | Location | Quote | Status | Note |\n"
                                 "|---|---|---|---|---|---|\n");
            for (int k = 0; k < t.citations.size(); ++k) {
                const Citation& c = t.citations[k];
                md += QStringLiteral("| %1 | %2 | %3 | %4 | %5 | %6 |\n")
                          .arg(k + 1)
                          .arg(escapeTableCell(c.tag), escapeTableCell(locationLabel(c)),
                               escapeTableCell(c.quote.isEmpty() ? QString() : QStringLiteral("\"%1\"").arg(c.quote)),
                               statusName(c.status), escapeTableCell(c.note));
            }
            md += QLatin1Char('\n');
        }
        if (options.includeReasoning && !t.reasoning.isEmpty()) {
            md += QStringLiteral("### Reasoning (%1 tokens, %2 s)\n\n")
                      .arg(t.stats.reasoningTokens)
                      .arg(t.stats.reasoningSeconds, 0, 'f', 1) +
                  fenced(t.reasoning) + QLatin1Char('\n');
        }
    }

    md += QStringLiteral("## Manifest\n\n| Tag | Kind | Path | SHA-256 | Commit | Tokens |\n|---|---|---|---|---|---|\n");
    for (const SourceRecord& s : conv.sources)
        md += QStringLiteral("| %1 | %2 | %3 | %4 | %5 | %6 |\n")
                  .arg(escapeTableCell(s.tag), s.kind, escapeTableCell(s.path), s.sha256, s.commit)
                  .arg(s.tokens);
    md += QLatin1Char('\n');
    for (int i = 0; i < conv.turns.size(); ++i)
        md += QStringLiteral("- Question %1: prefix %2\n")
                  .arg(i + 1)
                  .arg(conv.turns[i].stats.prefixReused()
                           ? QStringLiteral("reused (%1 tokens)").arg(conv.turns[i].stats.reusedTokens)
                           : QStringLiteral("prefilled"));
    return md;
}

QString ReportWriter::html(const Conversation& conv, const ReportOptions& options) {
    QTextDocument doc;
    doc.setMarkdown(markdown(conv, options));
    QString body = doc.toHtml();
    // Give the document a title and a stylesheet of our own; Qt's HTML is otherwise self-contained.
    const QString title = (conv.title.isEmpty() ? QStringLiteral("M1 Studio report") : conv.title).toHtmlEscaped();
    body.replace(QStringLiteral("<head>"),
                 QStringLiteral("<head><title>%1</title><style>table{border-collapse:collapse}"
                                "td,th{border:1px solid #999;padding:2px 6px}</style>")
                     .arg(title));
    return body;
}

bool ReportWriter::writePdf(const Conversation& conv, const QString& file, const ReportOptions& options,
                            QString* error) {
    QTextDocument doc;
    // A point-sized default font: the Markdown importer's relative heading sizes then scale from it instead of
    // from a pixel size that means nothing on a 1200-dpi PDF page.
    QFont font(QStringLiteral("DejaVu Sans"));
    font.setPointSizeF(10);
    doc.setDefaultFont(font);
    doc.setMarkdown(markdown(conv, options));
    QSaveFile out(file);
    if (!out.open(QIODevice::WriteOnly)) {
        *error = QStringLiteral("%1: cannot write (%2)").arg(file, out.errorString());
        return false;
    }
    {
        QPdfWriter pdf(&out);
        pdf.setTitle(conv.title.isEmpty() ? QStringLiteral("M1 Studio report") : conv.title);
        pdf.setCreator(QStringLiteral("M1 Studio"));
        pdf.setPageSize(QPageSize(QPageSize::A4));
        pdf.setPageMargins(QMarginsF(18, 18, 18, 18), QPageLayout::Millimeter);
        doc.print(&pdf);
    }
    if (!out.commit()) {
        *error = QStringLiteral("%1: cannot write (%2)").arg(file, out.errorString());
        return false;
    }
    return true;
}

bool ReportWriter::write(const Conversation& conv, const QString& file, const ReportOptions& options,
                         QString* error) {
    const QString ext = QFileInfo(file).suffix().toLower();
    if (ext == QLatin1String("pdf")) return writePdf(conv, file, options, error);
    QString text;
    if (ext == QLatin1String("md") || ext == QLatin1String("markdown")) text = markdown(conv, options);
    else if (ext == QLatin1String("html") || ext == QLatin1String("htm")) text = html(conv, options);
    else {
        *error = QStringLiteral("%1: unknown report format '.%2' (use .md, .html or .pdf)").arg(file, ext);
        return false;
    }
    return writeFileAtomically(file, text.toUtf8(), error);
}

}  // namespace m1::app
