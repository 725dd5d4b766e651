#include "ui/panes/ConversationPane.h"

#include "ui/KindIcons.h"
#include "ui/models/ConversationModel.h"

#include <QHBoxLayout>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QTextBlock>
#include <QTextBrowser>
#include <QTextDocument>
#include <QTimer>
#include <QUrl>
#include <QVBoxLayout>

namespace m1::ui {
namespace {

QString bodyOf(const QString& html) {
    const qsizetype start = html.indexOf(QLatin1String("<body"));
    const qsizetype open = start >= 0 ? html.indexOf(QLatin1Char('>'), start) : -1;
    const qsizetype end = html.lastIndexOf(QLatin1String("</body>"));
    return open >= 0 && end > open ? html.mid(open + 1, end - open - 1) : html;
}

}  // namespace

QString ConversationPane::answerHtml(const QString& answer, const QList<CitationChip>& chips) {
    // Citations become Markdown links first; the links are then styled as chips in the rendered document.
    QString md;
    qsizetype at = 0;
    for (const CitationChip& c : chips) {
        if (c.offset < at || c.offset + c.length > answer.size()) continue;
        md += answer.mid(at, c.offset - at);
        QString label = c.label;
        label.replace(QLatin1Char('['), QLatin1Char('(')).replace(QLatin1Char(']'), QLatin1Char(')'));
        md += QStringLiteral("[\u00a0%1\u00a0](%2)").arg(label, c.href);
        at = c.offset + c.length;
    }
    md += answer.mid(at);
    QTextDocument doc;
    doc.setMarkdown(md, QTextDocument::MarkdownDialectGitHub);
    QHash<QString, const CitationChip*> byHref;
    for (const CitationChip& c : chips) byHref.insert(c.href, &c);
    for (QTextBlock b = doc.begin(); b.isValid(); b = b.next()) {
        for (auto it = b.begin(); !it.atEnd(); ++it) {
            const QTextFragment f = it.fragment();
            const QTextCharFormat fmt = f.charFormat();
            const CitationChip* chip = fmt.isAnchor() ? byHref.value(fmt.anchorHref()) : nullptr;
            if (!chip) continue;
            QTextCursor cur(&doc);
            cur.setPosition(f.position());
            cur.setPosition(f.position() + f.length(), QTextCursor::KeepAnchor);
            QTextCharFormat chipFmt;
            const auto status = m1::app::Citation::Status(chip->status);
            chipFmt.setBackground(statusColor(status));
            chipFmt.setForeground(statusTextColor(status));
            chipFmt.setFontUnderline(false);
            chipFmt.setToolTip(chip->tooltip);
            chipFmt.setFontWeight(QFont::DemiBold);
            cur.mergeCharFormat(chipFmt);
        }
    }
    return bodyOf(doc.toHtml());
}

ConversationPane::ConversationPane(ConversationModel* model, QWidget* parent) : QWidget(parent), m_model(model) {
    setAccessibleName(tr("Conversation"));
    m_browser = new QTextBrowser;
    m_browser->setAccessibleName(tr("Conversation transcript"));
    m_browser->setOpenLinks(false);
    m_browser->setPlaceholderText(tr("Add sources, then ask a question. Answers stream here with their citations."));
    m_browser->document()->setDefaultStyleSheet(QStringLiteral(
        "p { margin: 4px 0; } pre, code { background: #f3f4f6; } h1, h2, h3 { margin: 8px 0 4px 0; }"));
    m_input = new QPlainTextEdit;
    m_input->setAccessibleName(tr("Question"));
    m_input->setPlaceholderText(tr("Ask about your sources…  (Ctrl+Enter to send)"));
    m_input->setFixedHeight(m_input->fontMetrics().height() * 3 + 14);
    m_send = new QPushButton(tr("Ask"));
    m_send->setAccessibleName(tr("Ask"));
    m_send->setToolTip(tr("Ask the question (Ctrl+Enter)"));
    m_send->setDefault(true);
    m_stop = new QPushButton(tr("Stop"));
    m_stop->setAccessibleName(tr("Stop"));
    m_stop->setToolTip(tr("Stop the answer (Esc)"));
    m_stop->setEnabled(false);
    auto* buttons = new QVBoxLayout;
    buttons->addWidget(m_send);
    buttons->addWidget(m_stop);
    buttons->addStretch();
    auto* inputRow = new QHBoxLayout;
    inputRow->addWidget(m_input, 1);
    inputRow->addLayout(buttons);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_browser, 1);
    layout->addLayout(inputRow);

    m_renderTimer = new QTimer(this);
    m_renderTimer->setSingleShot(true);
    m_renderTimer->setInterval(50);
    connect(m_renderTimer, &QTimer::timeout, this, &ConversationPane::renderNow);
    connect(m_model, &ConversationModel::changed, this, &ConversationPane::scheduleRender);
    connect(m_model, &QAbstractItemModel::modelReset, this, [this] { m_cache.clear(); });
    connect(m_send, &QPushButton::clicked, this, [this] {
        if (!question().isEmpty()) emit askRequested(question());
    });
    connect(m_stop, &QPushButton::clicked, this, &ConversationPane::stopRequested);
    connect(m_browser, &QTextBrowser::anchorClicked, this, [this](const QUrl& url) {
        const QStringList parts = url.toString().split(QLatin1Char(':'));
        if (parts.size() == 3 && parts[0] == QLatin1String("cite")) emit citationActivated(parts[1].toInt(), parts[2].toInt());
        if (parts.size() == 2 && parts[0] == QLatin1String("reasoning")) {
            const int row = parts[1].toInt();
            m_model->setReasoningExpanded(row, !m_model->data(m_model->index(row), ConversationModel::ReasoningExpandedRole).toBool());
        }
    });
}

QString ConversationPane::question() const { return m_input->toPlainText().trimmed(); }
void ConversationPane::clearQuestion() { m_input->clear(); }
void ConversationPane::focusInput() { m_input->setFocus(); }

void ConversationPane::setBusy(bool busy) {
    m_busy = busy;
    m_send->setEnabled(!busy);
    m_stop->setEnabled(busy);
}

void ConversationPane::scheduleRender() {
    if (!m_renderTimer->isActive()) m_renderTimer->start();
}

QString ConversationPane::renderedText() const { return m_browser->toPlainText(); }

QString ConversationPane::turnHtml(int row) const {
    const QModelIndex i = m_model->index(row);
    const bool streaming = i.data(ConversationModel::StreamingRole).toBool();
    const bool expanded = i.data(ConversationModel::ReasoningExpandedRole).toBool();
    const int key = expanded ? -(row + 1) : row + 1;
    if (!streaming) {
        auto it = m_cache.constFind(key);
        if (it != m_cache.constEnd()) return *it;
    }
    const m1::app::Turn& t = m_model->turn(row);
    QString html;
    html += QStringLiteral("<table width='100%' cellspacing='0' cellpadding='8' style='margin-top:10px'><tr>"
                           "<td style='background:#eef2ff; border-radius:6px'><b>%1</b> %2</td></tr></table>")
                .arg(tr("You"), t.question.toHtmlEscaped());
    // The model's label, with the random-weight warning when that applies.
    const m1::app::ModelInfo& info = m_model->modelInfo();
    html += QStringLiteral("<p style='margin-top:8px'><b style='color:#374151'>%1</b>").arg(tr("M1"));
    if (info.randomWeights)
        html += QStringLiteral(" &nbsp;<span style='background:#fde68a; color:#7c4a03'>&nbsp;%1&nbsp;</span>")
                    .arg(tr("demo model · random weights · answers are noise").toHtmlEscaped());
    else if (!info.name.isEmpty())
        html += QStringLiteral(" <span style='color:#6b7280'>%1</span>").arg(info.name.toHtmlEscaped());
    html += QStringLiteral("</p>");
    const QString summary = i.data(ConversationModel::ThoughtSummaryRole).toString();
    if (!summary.isEmpty()) {
        html += QStringLiteral("<p style='color:#6b7280'><a href='reasoning:%1' style='color:#6b7280; text-decoration:none'>%2 %3</a></p>")
                    .arg(row)
                    .arg(expanded ? QStringLiteral("▾") : QStringLiteral("▸"), summary.toHtmlEscaped());
        if (expanded)
            html += QStringLiteral("<table width='100%' cellpadding='6'><tr><td style='background:#f9fafb; color:#4b5563'>%1</td></tr></table>")
                        .arg(t.reasoning.toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br>")));
    }
    QList<CitationChip> chips;
    for (qsizetype c = 0; c < t.citations.size(); ++c) {
        const m1::app::Citation& cit = t.citations[c];
        if (t.answer.mid(cit.offset, cit.length) != cit.raw) continue;
        chips.append({cit.offset, cit.length, QStringLiteral("cite:%1:%2").arg(row).arg(c),
                      cit.tag + QLatin1Char(' ') + cit.locationText,
                      m1::app::statusName(cit.status) + (cit.note.isEmpty() ? QString() : QStringLiteral(": ") + cit.note),
                      int(cit.status)});
    }
    if (!t.answer.isEmpty()) html += answerHtml(t.answer, chips);
    else if (streaming) html += QStringLiteral("<p style='color:#9ca3af'><i>%1</i></p>").arg(tr("Thinking…"));
    if (streaming && !t.answer.isEmpty()) html += QStringLiteral("<p style='color:#2563eb'>▍</p>");
    const QString stats = i.data(ConversationModel::StatsRole).toString();
    if (!stats.isEmpty()) {
        const bool stopped = i.data(ConversationModel::StoppedRole).toBool();
        html += QStringLiteral("<p style='color:#9ca3af; font-size:small'>%1%2</p>")
                    .arg(stopped ? tr("stopped · ") : QString(), stats.toHtmlEscaped());
    }
    if (!streaming) m_cache.insert(key, html);
    return html;
}

void ConversationPane::renderNow() {
    m_renderTimer->stop();
    // Cached turns carry the model's label: a different model (an opened session) renders them again.
    const QString label = m_model->modelLabel();
    if (label != m_cachedLabel) {
        m_cache.clear();
        m_cachedLabel = label;
    }
    QScrollBar* bar = m_browser->verticalScrollBar();
    const bool atEnd = bar->value() >= bar->maximum() - 4;
    QString html;
    for (int row = 0; row < m_model->turnCount(); ++row) html += turnHtml(row);
    m_browser->setHtml(html);
    if (atEnd) bar->setValue(bar->maximum());
}

}  // namespace m1::ui
