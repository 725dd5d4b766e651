// The Conversation dock: every turn of the ConversationModel rendered as a document (question, answer as Markdown
// with citation chips coloured by verification status, a collapsible "Thought for N s" line, per-answer stats, and
// the model label, which says "random weights" for the demo model), and under it the question box with Send and
// Stop. Streaming re-renders at most every 50 ms, and finished turns are cached, so long answers stay cheap.
// GUI thread only.
#pragma once

#include <QHash>
#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTextBrowser;
class QTimer;

namespace m1::ui {

class ConversationModel;

// A citation in an answer, as the renderer draws it.
struct CitationChip {
    qsizetype offset = 0, length = 0;
    QString href, label, tooltip;
    int status = 0;  // m1::app::Citation::Status
};

class ConversationPane : public QWidget {
    Q_OBJECT
public:
    explicit ConversationPane(ConversationModel* model, QWidget* parent = nullptr);

    QString question() const;
    void clearQuestion();
    void setBusy(bool busy);
    void focusInput();

    QTextBrowser* browser() const { return m_browser; }
    QPushButton* sendButton() const { return m_send; }
    QPushButton* stopButton() const { return m_stop; }
    QPlainTextEdit* input() const { return m_input; }
    // The rendered document as plain text (tests).
    QString renderedText() const;
    // Renders now instead of at the next 50 ms tick.
    void renderNow();

    // The HTML of one answer: Markdown, with each citation turned into a chip linking to cite:<turn>:<index>.
    static QString answerHtml(const QString& answer, const QList<CitationChip>& chips);

signals:
    void askRequested(const QString& question);
    void stopRequested();
    void citationActivated(int turn, int citation);

private:
    void scheduleRender();
    QString turnHtml(int row) const;

    ConversationModel* m_model;
    QTextBrowser* m_browser = nullptr;
    QPlainTextEdit* m_input = nullptr;
    QPushButton* m_send = nullptr;
    QPushButton* m_stop = nullptr;
    QTimer* m_renderTimer = nullptr;
    mutable QHash<int, QString> m_cache;  // finished turns, keyed by row (expanded state in the key's sign)
    QString m_cachedLabel;
    bool m_busy = false;
};

}  // namespace m1::ui
