#include "ui/viewer/ViewerPane.h"

#include "ui/viewer/CodeView.h"
#include "ui/viewer/PdfView.h"

#include <QAction>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <QStackedWidget>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>

namespace m1::ui {
namespace {

QToolButton* toolButton(QAction* action) {
    auto* b = new QToolButton;
    b->setDefaultAction(action);
    b->setAutoRaise(true);
    b->setAccessibleName(action->text());
    return b;
}

}  // namespace

ViewerPane::ViewerPane(QWidget* parent) : QWidget(parent) {
    setAccessibleName(tr("Document viewer"));
    m_backAction = new QAction(style()->standardIcon(QStyle::SP_ArrowBack), tr("Back"), this);
    m_backAction->setShortcut(QKeySequence(Qt::ALT | Qt::Key_Left));
    m_backAction->setShortcutContext(Qt::WindowShortcut);
    m_backAction->setToolTip(tr("Back (Alt+Left)"));
    m_forwardAction = new QAction(style()->standardIcon(QStyle::SP_ArrowForward), tr("Forward"), this);
    m_forwardAction->setShortcut(QKeySequence(Qt::ALT | Qt::Key_Right));
    m_forwardAction->setShortcutContext(Qt::WindowShortcut);
    m_forwardAction->setToolTip(tr("Forward (Alt+Right)"));
    connect(m_backAction, &QAction::triggered, this, &ViewerPane::back);
    connect(m_forwardAction, &QAction::triggered, this, &ViewerPane::forward);

    m_title = new QLabel(tr("Nothing open"));
    m_title->setAccessibleName(tr("Open document"));
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont tf = m_title->font();
    tf.setBold(true);
    m_title->setFont(tf);

    // PDF controls: previous / page n of N / next, zoom out / 125 % / zoom in.
    m_pdfControls = new QWidget;
    auto* pdfRow = new QHBoxLayout(m_pdfControls);
    pdfRow->setContentsMargins(0, 0, 0, 0);
    auto* prev = new QAction(style()->standardIcon(QStyle::SP_ArrowUp), tr("Previous page"), this);
    auto* next = new QAction(style()->standardIcon(QStyle::SP_ArrowDown), tr("Next page"), this);
    prev->setShortcut(QKeySequence(Qt::Key_PageUp));
    next->setShortcut(QKeySequence(Qt::Key_PageDown));
    prev->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    next->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    m_pageSpin = new QSpinBox;
    m_pageSpin->setAccessibleName(tr("Page"));
    m_pageSpin->setMinimum(1);
    m_pageCount = new QLabel;
    auto* zoomOut = new QAction(tr("−"), this);
    zoomOut->setToolTip(tr("Zoom out (Ctrl+-)"));
    zoomOut->setShortcut(QKeySequence::ZoomOut);
    zoomOut->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    auto* zoomIn = new QAction(tr("+"), this);
    zoomIn->setToolTip(tr("Zoom in (Ctrl++)"));
    zoomIn->setShortcut(QKeySequence::ZoomIn);
    zoomIn->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    zoomOut->setText(tr("Zoom out"));
    zoomIn->setText(tr("Zoom in"));
    m_zoomLabel = new QLabel;
    m_zoomLabel->setAccessibleName(tr("Zoom"));
    pdfRow->addWidget(toolButton(prev));
    pdfRow->addWidget(m_pageSpin);
    pdfRow->addWidget(m_pageCount);
    pdfRow->addWidget(toolButton(next));
    pdfRow->addSpacing(6);
    auto* zo = toolButton(zoomOut);
    zo->setText(QStringLiteral("−"));
    zo->setToolButtonStyle(Qt::ToolButtonTextOnly);
    auto* zi = toolButton(zoomIn);
    zi->setToolButtonStyle(Qt::ToolButtonTextOnly);
    zi->setText(QStringLiteral("+"));
    pdfRow->addWidget(zo);
    pdfRow->addWidget(m_zoomLabel);
    pdfRow->addWidget(zi);

    m_find = new QLineEdit;
    m_find->setPlaceholderText(tr("Find…"));
    m_find->setAccessibleName(tr("Find in document"));
    m_find->setClearButtonEnabled(true);
    m_find->setMaximumWidth(200);
    connect(m_find, &QLineEdit::returnPressed, this, [this] { findNext(m_find->text()); });

    auto* bar = new QHBoxLayout;
    bar->setContentsMargins(4, 2, 4, 2);
    bar->addWidget(toolButton(m_backAction));
    bar->addWidget(toolButton(m_forwardAction));
    bar->addWidget(m_title, 1);
    bar->addWidget(m_pdfControls);
    bar->addWidget(m_find);

    m_pdf = new PdfView;
    m_code = new CodeView;
    auto* placeholder = new QLabel(tr("Open a source, or click a citation, to see it here."));
    placeholder->setAlignment(Qt::AlignCenter);
    placeholder->setWordWrap(true);
    placeholder->setStyleSheet(QStringLiteral("color: #8a9099;"));
    m_placeholder = placeholder;
    m_stack = new QStackedWidget;
    m_stack->addWidget(m_placeholder);
    m_stack->addWidget(m_pdf);
    m_stack->addWidget(m_code);

    m_status = new QLabel;
    m_status->setAccessibleName(tr("Viewer status"));
    m_status->setStyleSheet(QStringLiteral("color: #6b7280; padding: 2px 6px;"));

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addLayout(bar);
    layout->addWidget(m_stack, 1);
    layout->addWidget(m_status);

    connect(prev, &QAction::triggered, this, [this] { m_pdf->setPage(m_pdf->page() - 1); });
    connect(next, &QAction::triggered, this, [this] { m_pdf->setPage(m_pdf->page() + 1); });
    connect(zoomIn, &QAction::triggered, this, [this] { m_pdf->setZoom(m_pdf->zoom() * 1.2); });
    connect(zoomOut, &QAction::triggered, this, [this] { m_pdf->setZoom(m_pdf->zoom() / 1.2); });
    connect(m_pageSpin, &QSpinBox::editingFinished, this, [this] { m_pdf->setPage(m_pageSpin->value()); });
    connect(m_pdf, &PdfView::pageChanged, this, [this](int page, int count) {
        const QSignalBlocker block(m_pageSpin);
        m_pageSpin->setMaximum(qMax(1, count));
        m_pageSpin->setValue(page);
        m_pageCount->setText(tr("of %1").arg(count));
    });
    connect(m_pdf, &PdfView::zoomChanged, this, [this](double z) { m_zoomLabel->setText(QStringLiteral("%1 %").arg(qRound(z * 100))); });
    m_zoomLabel->setText(QStringLiteral("%1 %").arg(qRound(m_pdf->zoom() * 100)));
    updateControls();
}

bool ViewerPane::open(const ViewerLocation& location, QString* error) {
    if (!show(location, error)) return false;
    while (m_history.size() > m_current + 1) m_history.removeLast();
    m_history.append(location);
    m_current = m_history.size() - 1;
    updateControls();
    emit locationChanged();
    return true;
}

void ViewerPane::back() {
    if (!canGoBack()) return;
    --m_current;
    show(m_history[m_current], nullptr);
    updateControls();
    emit locationChanged();
}

void ViewerPane::forward() {
    if (!canGoForward()) return;
    ++m_current;
    show(m_history[m_current], nullptr);
    updateControls();
    emit locationChanged();
}

bool ViewerPane::show(const ViewerLocation& l, QString* error) {
    if (l.kind == ViewerLocation::Kind::Pdf) {
        QString why;
        if (!m_pdf->open(l.file, &why)) {
            if (error) *error = why;
            return false;
        }
        m_stack->setCurrentWidget(m_pdf);
        QList<QRectF> rects;
        if (!l.quote.isEmpty()) rects = m_pdf->highlightQuote(l.page, l.quote);
        else m_pdf->setPage(l.page);
        m_status->setText(l.quote.isEmpty() ? tr("Page %1").arg(l.page)
                          : rects.isEmpty() ? tr("Page %1 · the quoted words were not found on this page").arg(l.page)
                                            : tr("Page %1 · quote highlighted").arg(l.page));
    } else {
        m_stack->setCurrentWidget(m_code);
        m_code->showText(l.text);
        m_code->highlightLines(l.lineFirst, l.lineLast);
        m_status->setText(l.lineFirst > 0 ? tr("Lines %1–%2").arg(l.lineFirst).arg(l.lineLast) : QString());
    }
    m_title->setText(l.title);
    m_title->setToolTip(l.kind == ViewerLocation::Kind::Pdf ? l.file : l.title);
    return true;
}

void ViewerPane::updateControls() {
    m_backAction->setEnabled(canGoBack());
    m_forwardAction->setEnabled(canGoForward());
    m_pdfControls->setVisible(m_stack->currentWidget() == m_pdf);
}

void ViewerPane::focusFind() {
    m_find->setFocus();
    m_find->selectAll();
}

bool ViewerPane::findNext(const QString& text, bool backwards) {
    bool found = false;
    if (m_stack->currentWidget() == m_pdf) found = m_pdf->find(text, backwards);
    else if (m_stack->currentWidget() == m_code) found = m_code->findText(text, backwards);
    m_status->setText(found ? QString() : tr("“%1” not found").arg(text));
    return found;
}

QString ViewerPane::statusText() const { return m_status->text(); }

}  // namespace m1::ui
