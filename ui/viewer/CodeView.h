// Plain text and code with line numbers in a gutter, highlighted line ranges (a cited passage) and find.
// GUI thread only.
#pragma once

#include <QPlainTextEdit>

namespace m1::ui {

class CodeView : public QPlainTextEdit {
    Q_OBJECT
public:
    explicit CodeView(QWidget* parent = nullptr);

    void showText(const QString& text);
    // Highlights lines first..last (1-based, inclusive) and scrolls them into view; 0 clears.
    void highlightLines(int first, int last);
    int highlightedFirst() const { return m_first; }
    int highlightedLast() const { return m_last; }
    // The first line shown at the top of the view (1-based).
    int firstVisibleLine() const;
    bool findText(const QString& text, bool backwards = false);

    int gutterWidth() const;

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    friend class LineNumberGutter;
    void paintGutter(QPaintEvent* event);
    void updateSelections();

    QWidget* m_gutter = nullptr;
    int m_first = 0, m_last = 0;
};

}  // namespace m1::ui
