// The Viewer dock: a PDF page (PdfView) or a text/code file (CodeView), a toolbar with back/forward through the
// history of jumps, page navigation and zoom for PDFs, and find. GUI thread only.
#pragma once

#include <QList>
#include <QWidget>

class QAction;
class QLabel;
class QLineEdit;
class QSpinBox;
class QStackedWidget;
class QToolButton;

namespace m1::ui {

class CodeView;
class PdfView;

struct ViewerLocation {
    enum class Kind { Pdf, Text };
    Kind kind = Kind::Text;
    QString title;
    // Pdf
    QString file;
    int page = 1;
    QString quote;
    // Text
    QString text;
    int lineFirst = 0, lineLast = 0;
};

class ViewerPane : public QWidget {
    Q_OBJECT
public:
    explicit ViewerPane(QWidget* parent = nullptr);

    // Shows a location and records it in the history (dropping anything after the current entry).
    // false when a PDF cannot be opened (*error set).
    bool open(const ViewerLocation& location, QString* error = nullptr);
    bool canGoBack() const { return m_current > 0; }
    bool canGoForward() const { return m_current + 1 < m_history.size(); }
    void back();
    void forward();
    void focusFind();
    bool findNext(const QString& text, bool backwards = false);

    PdfView* pdfView() const { return m_pdf; }
    CodeView* codeView() const { return m_code; }
    const ViewerLocation* current() const { return m_current >= 0 ? &m_history[m_current] : nullptr; }
    QString statusText() const;

    QAction* backAction() const { return m_backAction; }
    QAction* forwardAction() const { return m_forwardAction; }

signals:
    void locationChanged();

private:
    bool show(const ViewerLocation& location, QString* error);
    void updateControls();

    QList<ViewerLocation> m_history;
    qsizetype m_current = -1;
    QStackedWidget* m_stack = nullptr;
    QWidget* m_placeholder = nullptr;
    PdfView* m_pdf = nullptr;
    CodeView* m_code = nullptr;
    QAction* m_backAction = nullptr;
    QAction* m_forwardAction = nullptr;
    QLabel* m_title = nullptr;
    QWidget* m_pdfControls = nullptr;
    QSpinBox* m_pageSpin = nullptr;
    QLabel* m_pageCount = nullptr;
    QLabel* m_zoomLabel = nullptr;
    QLineEdit* m_find = nullptr;
    QLabel* m_status = nullptr;
};

}  // namespace m1::ui
