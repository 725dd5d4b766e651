// The conversation side without a model: ConversationModel and CitationsModel driven with crafted turns, the
// Reasoning pane collapsing when the answer starts, and the Conversation pane's citation chips.
#include "app/citations/CitationParser.h"
#include "ui/KindIcons.h"
#include "ui/models/CitationsModel.h"
#include "ui/models/ConversationModel.h"
#include "ui/panes/ConversationPane.h"
#include "ui/panes/ReasoningPane.h"

#include <QSignalSpy>
#include <QTextBlock>
#include <QPushButton>
#include <QPlainTextEdit>
#include <QTextBrowser>
#include <QtTest>

using namespace m1::ui;
using m1::app::Citation;

class TestConversation : public QObject {
    Q_OBJECT
private slots:
    void streamingTurnRoles() {
        ConversationModel m;
        m1::app::ModelInfo info;
        info.name = QStringLiteral("demo (tiny, random weights)");
        info.randomWeights = true;
        m.setModelInfo(info);
        QVERIFY(m.modelLabel().contains(QStringLiteral("random weights")));
        m.beginTurn(QStringLiteral("Q1"));
        QVERIFY(m.isStreaming());
        const QModelIndex i = m.index(0);
        QVERIFY(i.data(ConversationModel::ThinkingRole).toBool());
        m.appendReasoning(QStringLiteral("Let me "), 2);
        m.appendReasoning(QStringLiteral("think."), 4);
        QCOMPARE(i.data(ConversationModel::ReasoningRole).toString(), QStringLiteral("Let me think."));
        QCOMPARE(i.data(ConversationModel::ThoughtSummaryRole).toString(), QStringLiteral("Thinking… 4 tokens"));
        m.appendAnswer(QStringLiteral("Answer"));
        QVERIFY(!i.data(ConversationModel::ThinkingRole).toBool());
        QVERIFY(i.data(ConversationModel::ThoughtSummaryRole).toString().startsWith(QStringLiteral("Thought for ")));
        QVERIFY(i.data(ConversationModel::ThoughtSummaryRole).toString().endsWith(QStringLiteral(" · 4 tokens")));
        QVERIFY(i.data(ConversationModel::StatsRole).toString().isEmpty());  // no stats while streaming

        m1::app::Turn final;
        final.question = QStringLiteral("Q1");
        final.reasoning = QStringLiteral("Let me think.");
        final.answer = QStringLiteral("Answer");
        final.stats.reasoningSeconds = 2.5;
        final.stats.reasoningTokens = 4;
        final.stats.answerTokens = 1;
        final.stats.timeToFirstTokenS = 0.25;
        final.stats.tokensPerSecond = 120;
        final.stats.promptTokens = 12;
        final.stats.reusedTokens = 1500;
        m.finishTurn(final, false);
        QVERIFY(!m.isStreaming());
        QCOMPARE(i.data(ConversationModel::ThoughtSummaryRole).toString(), QStringLiteral("Thought for 2.5 s · 4 tokens"));
        const QString stats = i.data(ConversationModel::StatsRole).toString();
        QVERIFY2(stats.contains(QStringLiteral("first token 0.25 s")), qPrintable(stats));
        QVERIFY(stats.contains(QStringLiteral("120 tok/s")));
        QVERIFY(stats.contains(QStringLiteral("5 tokens")));
        QVERIFY(stats.contains(QStringLiteral("%1 reused").arg(QLocale().toString(1500))));
    }

    void citationsTreePerAnswer() {
        CitationsModel m;
        m.addAnswer(QStringLiteral("first question"));
        const QList<Citation> cs = m1::app::CitationParser::parse(
            QStringLiteral("See [S1 p.2 \"Left engine column\"] and [R1 src/main.cpp:3-5]."));
        QCOMPARE(cs.size(), 2);
        m.addCitation(0, cs[0]);
        m.addAnswer(QStringLiteral("second question"));
        QList<Citation> verified = cs;
        verified[0].status = Citation::Status::Verified;
        verified[1].status = Citation::Status::Unresolvable;
        m.setCitations(1, verified);
        QCOMPARE(m.rowCount(), 2);
        QCOMPARE(m.rowCount(m.index(0, 0)), 1);
        QCOMPARE(m.rowCount(m.index(1, 0)), 2);
        QVERIFY(m.index(1, 0).data().toString().contains(QStringLiteral("second question")));
        const QModelIndex c = m.citationIndex(1, 0);
        QCOMPARE(m.index(0, CitationsModel::TagColumn, c.parent()).data().toString(), QStringLiteral("S1"));
        QCOMPARE(m.index(0, CitationsModel::QuoteColumn, c.parent()).data().toString(), QStringLiteral("“Left engine column”"));
        QCOMPARE(m.index(0, CitationsModel::LocationColumn, c.parent()).data().toString(), QStringLiteral("p.2"));
        QCOMPARE(m.index(0, CitationsModel::StatusColumn, c.parent()).data().toString(), QStringLiteral("verified"));
        QCOMPARE(m.index(1, CitationsModel::StatusColumn, c.parent()).data().toString(), QStringLiteral("unresolvable"));
        QCOMPARE(m.index(1, CitationsModel::StatusColumn, c.parent()).data(Qt::BackgroundRole).value<QColor>(),
                 statusColor(Citation::Status::Unresolvable));
        QCOMPARE(m.parent(c), m.index(1, 0));
        QVERIFY(m.citation(c));
        QCOMPARE(m.citation(c)->pageFirst, 2);
        QVERIFY(!m.citation(m.index(0, 0)));
    }

    void reasoningCollapsesWhenTheAnswerStarts() {
        ConversationModel m;
        ReasoningPane pane(&m);
        pane.resize(400, 300);
        pane.show();
        m.beginTurn(QStringLiteral("Q"));
        m.appendReasoning(QStringLiteral("step one\n"), 3);
        QCOMPARE(pane.sectionCount(), 1);
        QVERIFY(pane.isExpanded(0));
        QCOMPARE(pane.reasoningText(0), QStringLiteral("step one\n"));
        QVERIFY(pane.headerText(0).contains(QStringLiteral("Thinking… 3 tokens")));
        m.appendReasoning(QStringLiteral("step two"), 5);
        QCOMPARE(pane.reasoningText(0), QStringLiteral("step one\nstep two"));
        m.appendAnswer(QStringLiteral("The answer."));
        QVERIFY(!pane.isExpanded(0));
        QVERIFY2(pane.headerText(0).contains(QStringLiteral("Thought for ")), qPrintable(pane.headerText(0)));
        QVERIFY(pane.headerText(0).contains(QStringLiteral("5 tokens")));
        pane.setExpanded(0, true);  // expandable again per answer
        QVERIFY(pane.isExpanded(0));
        // A second answer without reasoning gets no visible section; the first keeps its own.
        m1::app::Turn t;
        t.question = QStringLiteral("Q");
        t.reasoning = QStringLiteral("step one\nstep two");
        t.answer = QStringLiteral("The answer.");
        m.finishTurn(t, false);
        m.beginTurn(QStringLiteral("Q2"));
        m.appendAnswer(QStringLiteral("No thinking here."));
        QCOMPARE(pane.sectionCount(), 2);
        QCOMPARE(pane.reasoningText(1), QString());
        QCOMPARE(pane.reasoningText(0), QStringLiteral("step one\nstep two"));
    }

    void answersRenderAsMarkdownWithColouredChips() {
        ConversationModel m;
        ConversationPane pane(&m);
        const QString answer = QStringLiteral("**Liability** is capped [T1 L34-35 \"total liability\"] and\n\n- ends [T1 L41].");
        m.beginTurn(QStringLiteral("What is capped?"));
        m.appendAnswer(answer);
        QList<Citation> cs = m1::app::CitationParser::parse(answer);
        QCOMPARE(cs.size(), 2);
        cs[0].status = Citation::Status::Verified;
        cs[1].status = Citation::Status::Unverified;
        m1::app::Turn t;
        t.question = QStringLiteral("What is capped?");
        t.answer = answer;
        t.citations = cs;
        m.finishTurn(t, false);
        pane.renderNow();
        const QString text = pane.renderedText();
        QVERIFY2(text.contains(QStringLiteral("Liability is capped")), qPrintable(text));  // Markdown, not raw
        QVERIFY(!text.contains(QStringLiteral("**")));
        // Each chip is a link cite:<turn>:<index> drawn in its status colour.
        QHash<QString, QColor> chips;
        for (QTextBlock b = pane.browser()->document()->begin(); b.isValid(); b = b.next())
            for (auto it = b.begin(); !it.atEnd(); ++it) {
                const QTextCharFormat f = it.fragment().charFormat();
                if (f.isAnchor()) chips.insert(f.anchorHref(), f.background().color());
            }
        QCOMPARE(chips.value(QStringLiteral("cite:0:0")), statusColor(Citation::Status::Verified));
        QCOMPARE(chips.value(QStringLiteral("cite:0:1")), statusColor(Citation::Status::Unverified));
        QSignalSpy activated(&pane, &ConversationPane::citationActivated);
        emit pane.browser()->anchorClicked(QUrl(QStringLiteral("cite:0:1")));
        QCOMPARE(activated.size(), 1);
        QCOMPARE(activated.first().at(0).toInt(), 0);
        QCOMPARE(activated.first().at(1).toInt(), 1);
    }

    void sendAndStopButtons() {
        ConversationModel m;
        ConversationPane pane(&m);
        QSignalSpy ask(&pane, &ConversationPane::askRequested);
        QSignalSpy stop(&pane, &ConversationPane::stopRequested);
        QVERIFY(!pane.stopButton()->isEnabled());
        pane.input()->setPlainText(QStringLiteral("  What ends it?  "));
        pane.sendButton()->click();
        QCOMPARE(ask.size(), 1);
        QCOMPARE(ask.first().first().toString(), QStringLiteral("What ends it?"));
        pane.setBusy(true);
        QVERIFY(!pane.sendButton()->isEnabled());
        pane.stopButton()->click();
        QCOMPARE(stop.size(), 1);
        for (QWidget* w : pane.findChildren<QWidget*>())
            if (qobject_cast<QAbstractButton*>(w) || qobject_cast<QPlainTextEdit*>(w))
                QVERIFY2(!w->accessibleName().isEmpty(), w->metaObject()->className());
    }
};

QTEST_MAIN(TestConversation)
#include "tst_conversation.moc"
