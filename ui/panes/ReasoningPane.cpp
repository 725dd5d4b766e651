#include "ui/panes/ReasoningPane.h"

#include "ui/models/ConversationModel.h"

#include <QLabel>
#include <QPlainTextEdit>
#include <QScrollArea>
#include <QScrollBar>
#include <QToolButton>
#include <QVBoxLayout>

namespace m1::ui {

ReasoningPane::ReasoningPane(ConversationModel* model, QWidget* parent) : QWidget(parent), m_model(model) {
    setAccessibleName(tr("Reasoning"));
    auto* scroll = new QScrollArea;
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setAccessibleName(tr("Reasoning per answer"));
    auto* content = new QWidget;
    m_list = new QVBoxLayout(content);
    m_list->setContentsMargins(6, 6, 6, 6);
    m_placeholder = new QLabel(tr("The model's reasoning streams here while it thinks."));
    m_placeholder->setStyleSheet(QStringLiteral("color: #8a9099;"));
    m_placeholder->setWordWrap(true);
    m_list->addWidget(m_placeholder);
    m_list->addStretch();
    scroll->setWidget(content);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(scroll);

    connect(m_model, &QAbstractItemModel::modelReset, this, &ReasoningPane::rebuild);
    connect(m_model, &QAbstractItemModel::rowsInserted, this, [this](const QModelIndex&, int first, int last) {
        for (int r = first; r <= last; ++r) update(r);
    });
    connect(m_model, &QAbstractItemModel::dataChanged, this, [this](const QModelIndex& a, const QModelIndex& b) {
        for (int r = a.row(); r <= b.row(); ++r) update(r);
    });
    rebuild();
}

void ReasoningPane::rebuild() {
    for (Section& s : m_sections) delete s.frame;
    m_sections.clear();
    for (int r = 0; r < m_model->turnCount(); ++r) update(r);
    if (m_model->turnCount() == 0) m_placeholder->show();
}

void ReasoningPane::update(int row) {
    while (m_sections.size() <= row) {
        Section s;
        s.frame = new QWidget;
        auto* v = new QVBoxLayout(s.frame);
        v->setContentsMargins(0, 0, 0, 4);
        v->setSpacing(2);
        s.header = new QToolButton;
        s.header->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
        s.header->setAutoRaise(true);
        s.header->setCheckable(true);
        s.header->setChecked(true);
        s.header->setArrowType(Qt::DownArrow);
        s.header->setAccessibleName(tr("Reasoning of answer %1").arg(m_sections.size() + 1));
        s.header->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
        s.text = new QPlainTextEdit;
        s.text->setReadOnly(true);
        s.text->setAccessibleName(tr("Reasoning text of answer %1").arg(m_sections.size() + 1));
        s.text->setMinimumHeight(80);
        s.text->setStyleSheet(QStringLiteral("QPlainTextEdit { color: #4b5563; background: #f9fafb; }"));
        v->addWidget(s.header);
        v->addWidget(s.text);
        const int index = int(m_sections.size());
        connect(s.header, &QToolButton::clicked, this, [this, index](bool checked) {
            m_sections[index].userToggled = true;
            setExpanded(index, checked);
        });
        m_list->insertWidget(m_list->count() - 1, s.frame);
        m_sections.append(s);
    }
    Section& s = m_sections[row];
    const QModelIndex i = m_model->index(row);
    const QString reasoning = i.data(ConversationModel::ReasoningRole).toString();
    const bool streaming = i.data(ConversationModel::StreamingRole).toBool();
    const bool thinking = i.data(ConversationModel::ThinkingRole).toBool();
    // Answers without reasoning get no section (the demo model, for one, never opens a think block).
    s.frame->setVisible(!reasoning.isEmpty());
    if (reasoning.size() < s.shown) {
        s.text->clear();
        s.shown = 0;
    }
    if (reasoning.size() > s.shown) {
        QScrollBar* bar = s.text->verticalScrollBar();
        const bool atEnd = bar->value() >= bar->maximum() - 2;
        QTextCursor c(s.text->document());
        c.movePosition(QTextCursor::End);
        c.insertText(reasoning.mid(s.shown));
        s.shown = reasoning.size();
        if (atEnd) bar->setValue(bar->maximum());
    }
    const QString summary = i.data(ConversationModel::ThoughtSummaryRole).toString();
    s.header->setText(tr("Answer %1 · %2").arg(row + 1).arg(summary));
    // Collapse once when the answer starts (or the turn ends), unless the user has chosen.
    if (!thinking && !s.collapsedOnce && !s.userToggled && !reasoning.isEmpty()) {
        s.collapsedOnce = true;
        setExpanded(row, false);
    }
    Q_UNUSED(streaming);
    bool anyVisible = false;
    for (const Section& x : m_sections) anyVisible = anyVisible || !x.frame->isHidden();
    m_placeholder->setVisible(!anyVisible);
}

QString ReasoningPane::headerText(int section) const { return m_sections.at(section).header->text(); }
QString ReasoningPane::reasoningText(int section) const { return m_sections.at(section).text->toPlainText(); }
bool ReasoningPane::isExpanded(int section) const { return !m_sections.at(section).text->isHidden(); }

void ReasoningPane::setExpanded(int section, bool expanded) {
    Section& s = m_sections[section];
    s.text->setVisible(expanded);
    s.header->setChecked(expanded);
    s.header->setArrowType(expanded ? Qt::DownArrow : Qt::RightArrow);
}

}  // namespace m1::ui
