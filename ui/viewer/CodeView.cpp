#include "ui/viewer/CodeView.h"

#include <QFontDatabase>
#include <QScrollBar>
#include <QPainter>
#include <QTextBlock>

namespace m1::ui {

class LineNumberGutter : public QWidget {
public:
    explicit LineNumberGutter(CodeView* view) : QWidget(view), m_view(view) {}
    QSize sizeHint() const override { return {m_view->gutterWidth(), 0}; }

protected:
    void paintEvent(QPaintEvent* event) override { m_view->paintGutter(event); }

private:
    CodeView* m_view;
};

CodeView::CodeView(QWidget* parent) : QPlainTextEdit(parent) {
    setReadOnly(true);
    // Wrapped, so prose and long code lines read without sideways scrolling; numbers stay per line.
    setLineWrapMode(QPlainTextEdit::WidgetWidth);
    setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    setAccessibleName(tr("Source text"));
    m_gutter = new LineNumberGutter(this);
    connect(this, &QPlainTextEdit::blockCountChanged, this, [this] { setViewportMargins(gutterWidth(), 0, 0, 0); });
    connect(this, &QPlainTextEdit::updateRequest, this, [this](const QRect& rect, int dy) {
        if (dy) m_gutter->scroll(0, dy);
        else m_gutter->update(0, rect.y(), m_gutter->width(), rect.height());
    });
    setViewportMargins(gutterWidth(), 0, 0, 0);
}

int CodeView::gutterWidth() const {
    int digits = 1;
    for (int n = qMax(1, blockCount()); n >= 10; n /= 10) ++digits;
    return 16 + fontMetrics().horizontalAdvance(QLatin1Char('9')) * qMax(3, digits);
}

void CodeView::resizeEvent(QResizeEvent* event) {
    QPlainTextEdit::resizeEvent(event);
    const QRect cr = contentsRect();
    m_gutter->setGeometry(QRect(cr.left(), cr.top(), gutterWidth(), cr.height()));
}

void CodeView::paintGutter(QPaintEvent* event) {
    QPainter p(m_gutter);
    p.fillRect(event->rect(), QColor(0xf3, 0xf4, 0xf6));
    QTextBlock block = firstVisibleBlock();
    int number = block.blockNumber() + 1;
    int top = qRound(blockBoundingGeometry(block).translated(contentOffset()).top());
    const int lineHeight = fontMetrics().height();
    while (block.isValid() && top <= event->rect().bottom()) {
        // Wrapped lines make blocks of different heights; the number sits on the block's first line.
        const int height = qRound(blockBoundingRect(block).height());
        if (block.isVisible() && top + height >= event->rect().top()) {
            const bool marked = number >= m_first && number <= m_last && m_first > 0;
            p.setPen(marked ? QColor(0xb2, 0x6b, 0x00) : QColor(0x9a, 0xa0, 0xa6));
            QFont f = font();
            f.setBold(marked);
            p.setFont(f);
            p.drawText(0, top, m_gutter->width() - 8, lineHeight, Qt::AlignRight | Qt::AlignVCenter, QString::number(number));
        }
        block = block.next();
        top += height;
        ++number;
    }
}

void CodeView::showText(const QString& text) {
    m_first = m_last = 0;
    setPlainText(text);
    updateSelections();
}

void CodeView::highlightLines(int first, int last) {
    m_first = first;
    m_last = qMax(first, last);
    updateSelections();
    if (first <= 0) return;
    // Put the passage a few lines below the top so its context shows.
    const QTextBlock target = document()->findBlockByNumber(qMax(0, first - 4));
    QTextCursor c(target);
    setTextCursor(c);
    verticalScrollBar()->setValue(verticalScrollBar()->maximum());
    setTextCursor(c);
    ensureCursorVisible();
    m_gutter->update();
}

int CodeView::firstVisibleLine() const { return firstVisibleBlock().blockNumber() + 1; }

void CodeView::updateSelections() {
    QList<QTextEdit::ExtraSelection> selections;
    if (m_first > 0) {
        for (int n = m_first; n <= m_last; ++n) {
            QTextBlock b = document()->findBlockByNumber(n - 1);
            if (!b.isValid()) break;
            QTextEdit::ExtraSelection s;
            s.format.setBackground(QColor(0xff, 0xf1, 0xc2));
            s.format.setProperty(QTextFormat::FullWidthSelection, true);
            s.cursor = QTextCursor(b);
            selections.append(s);
        }
    }
    setExtraSelections(selections);
}

bool CodeView::findText(const QString& text, bool backwards) {
    if (text.isEmpty()) return false;
    QTextDocument::FindFlags flags;
    if (backwards) flags |= QTextDocument::FindBackward;
    if (find(text, flags)) return true;
    // Wrap around once.
    QTextCursor c = textCursor();
    c.movePosition(backwards ? QTextCursor::End : QTextCursor::Start);
    setTextCursor(c);
    return find(text, flags);
}

}  // namespace m1::ui
