// One PDF page at a time, rendered with Poppler-Qt6, with zoom, page navigation, find and highlight rectangles.
// Pages are rendered on a pool thread (a scanned page at high zoom takes far longer than a frame) from a second
// Poppler document of the same file, so the GUI thread's document (text boxes, search) is never shared between
// threads. Renders are serialised; a request made while one runs replaces any earlier pending one.
// The widget itself is GUI thread only.
#pragma once

#include "ui/viewer/QuoteLocator.h"

#include <QFutureWatcher>
#include <QImage>
#include <QScrollArea>

#include <memory>

namespace Poppler {
class Document;
}

namespace m1::ui {

class PdfPageWidget;

class PdfView : public QScrollArea {
    Q_OBJECT
public:
    explicit PdfView(QWidget* parent = nullptr);
    ~PdfView() override;

    // Opens `file` (no-op when it is already open). false with *error naming the file.
    bool open(const QString& file, QString* error);
    QString file() const { return m_file; }
    int pageCount() const;
    int page() const { return m_page; }  // 1-based; 0 when nothing is open
    double zoom() const { return m_zoom; }
    QSizeF pageSize(int page) const;      // points

    void setPage(int page);
    void setZoom(double zoom);  // 1.0 = 72 dpi × the screen's logical dpi / 72 (100 %)

    // Rectangles in points on the current page, drawn over the rendered page until the page changes.
    void setHighlights(const QList<QRectF>& rects);
    const QList<QRectF>& highlights() const { return m_highlights; }
    // Highlights `quote` on `page` (via the page's text boxes); returns the rectangles (empty when not found).
    QList<QRectF> highlightQuote(int page, const QString& quote);

    // Finds the next (or previous) occurrence of `text` after the current match, across pages; false when none.
    bool find(const QString& text, bool backwards = false);
    QList<WordBox> words(int page) const;

    // True while a page is being rendered; renderedPage() is the page whose image is shown.
    bool isRendering() const { return m_watcher.isRunning(); }
    int renderedPage() const { return m_renderedPage; }

signals:
    void pageChanged(int page, int pageCount);
    void zoomChanged(double zoom);
    void pageRendered(int page);

private:
    void render();
    void startRender();
    void placeMarks();
    void scrollToHighlight();

    std::unique_ptr<Poppler::Document> m_document;
    std::shared_ptr<Poppler::Document> m_renderDocument;  // used by the render thread only
    QFutureWatcher<QImage> m_watcher;
    bool m_renderPending = false;
    int m_renderingPage = 0, m_renderedPage = 0;
    PdfPageWidget* m_pageWidget = nullptr;
    QString m_file;
    int m_page = 0;
    double m_zoom = 1.25;
    QList<QRectF> m_highlights;
    QString m_findText;
    int m_findPage = 0;
    int m_findIndex = -1;
};

}  // namespace m1::ui
