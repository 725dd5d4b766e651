#include "ui/viewer/PdfView.h"

#include <poppler-qt6.h>

#include <QPainter>
#include <QScrollBar>
#include <QtConcurrent/QtConcurrentRun>

namespace m1::ui {

// The rendered page and its highlights (in pixels of the rendered image).
class PdfPageWidget : public QWidget {
public:
    QImage image;
    QList<QRectF> marks;


protected:
    void paintEvent(QPaintEvent*) override {
        QPainter p(this);
        p.fillRect(rect(), Qt::white);
        if (!image.isNull()) p.drawImage(rect(), image);
        p.setRenderHint(QPainter::Antialiasing);
        p.setPen(QPen(QColor(0xe0, 0x8a, 0x00), 1.5));
        p.setBrush(QColor(0xff, 0xd5, 0x4f, 110));
        for (const QRectF& r : marks) p.drawRoundedRect(r.adjusted(-2, -1, 2, 1), 2, 2);
    }
};

PdfView::PdfView(QWidget* parent) : QScrollArea(parent) {
    m_pageWidget = new PdfPageWidget;
    setWidget(m_pageWidget);
    setAlignment(Qt::AlignHCenter | Qt::AlignTop);
    setBackgroundRole(QPalette::Dark);
    setAccessibleName(tr("PDF page"));
    connect(&m_watcher, &QFutureWatcher<QImage>::finished, this, [this] {
        QImage img = m_watcher.result();
        img.setDevicePixelRatio(devicePixelRatioF());
        m_pageWidget->image = img;
        m_renderedPage = m_renderingPage;
        placeMarks();
        scrollToHighlight();
        emit pageRendered(m_renderedPage);
        if (m_renderPending) startRender();
    });
}

PdfView::~PdfView() { m_watcher.waitForFinished(); }

bool PdfView::open(const QString& file, QString* error) {
    if (m_document && file == m_file) return true;
    std::unique_ptr<Poppler::Document> doc = Poppler::Document::load(file);
    if (!doc || doc->isLocked()) {
        if (error) *error = tr("%1: cannot open the PDF%2").arg(file, doc ? tr(" (it is encrypted)") : QString());
        return false;
    }
    std::shared_ptr<Poppler::Document> renderDoc = Poppler::Document::load(file);
    if (!renderDoc) {
        if (error) *error = tr("%1: cannot open the PDF").arg(file);
        return false;
    }
    renderDoc->setRenderHint(Poppler::Document::Antialiasing);
    renderDoc->setRenderHint(Poppler::Document::TextAntialiasing);
    m_watcher.waitForFinished();  // the old render document may still be in use
    m_document = std::move(doc);
    m_renderDocument = std::move(renderDoc);
    m_file = file;
    m_page = 0;
    m_findText.clear();
    setPage(1);
    return true;
}

int PdfView::pageCount() const { return m_document ? m_document->numPages() : 0; }

QSizeF PdfView::pageSize(int page) const {
    if (!m_document || page < 1 || page > pageCount()) return {};
    std::unique_ptr<Poppler::Page> p = m_document->page(page - 1);
    return p ? p->pageSizeF() : QSizeF();
}

void PdfView::setPage(int page) {
    if (!m_document) return;
    page = qBound(1, page, pageCount());
    if (page == m_page) return;
    m_page = page;
    m_highlights.clear();
    render();
    verticalScrollBar()->setValue(0);
    emit pageChanged(m_page, pageCount());
}

void PdfView::setZoom(double zoom) {
    zoom = qBound(0.25, zoom, 6.0);
    if (qFuzzyCompare(zoom, m_zoom)) return;
    m_zoom = zoom;
    render();
    emit zoomChanged(m_zoom);
}

void PdfView::setHighlights(const QList<QRectF>& rects) {
    m_highlights = rects;
    render();
    scrollToHighlight();
}

QList<QRectF> PdfView::highlightQuote(int page, const QString& quote) {
    setPage(page);
    const QList<QRectF> rects = locateQuote(words(m_page), quote);
    setHighlights(rects);
    return rects;
}

QList<WordBox> PdfView::words(int page) const {
    QList<WordBox> out;
    if (!m_document || page < 1 || page > pageCount()) return out;
    std::unique_ptr<Poppler::Page> p = m_document->page(page - 1);
    if (!p) return out;
    for (const std::unique_ptr<Poppler::TextBox>& box : p->textList()) out.append({box->text(), box->boundingBox()});
    return out;
}

bool PdfView::find(const QString& text, bool backwards) {
    if (!m_document || text.isEmpty()) return false;
    if (text != m_findText) {
        m_findText = text;
        m_findPage = m_page;
        m_findIndex = backwards ? 1 << 30 : -1;
    }
    const int n = pageCount();
    for (int step = 0; step <= n; ++step) {
        std::unique_ptr<Poppler::Page> p = m_document->page(m_findPage - 1);
        const QList<QRectF> hits =
            p ? p->search(text, Poppler::Page::IgnoreCase) : QList<QRectF>();
        const int next = backwards ? qMin(m_findIndex, int(hits.size())) - 1 : m_findIndex + 1;
        if (next >= 0 && next < hits.size()) {
            m_findIndex = next;
            setPage(m_findPage);
            setHighlights({hits[next]});
            return true;
        }
        m_findPage = backwards ? (m_findPage + n - 2) % n + 1 : m_findPage % n + 1;
        m_findIndex = backwards ? 1 << 30 : -1;
    }
    return false;
}

void PdfView::render() {
    if (!m_document || m_page < 1) return;
    placeMarks();
    m_renderPending = true;
    if (!m_watcher.isRunning()) startRender();
}

void PdfView::startRender() {
    m_renderPending = false;
    m_renderingPage = m_page;
    const double dpi = 72.0 * m_zoom * devicePixelRatioF();
    std::shared_ptr<Poppler::Document> doc = m_renderDocument;
    const int index = m_page - 1;
    m_watcher.setFuture(QtConcurrent::run([doc, index, dpi] {
        std::unique_ptr<Poppler::Page> p = doc->page(index);
        return p ? p->renderToImage(dpi, dpi) : QImage();
    }));
}

// Highlights and the widget size follow the page size in points, so they are right before the image arrives.
void PdfView::placeMarks() {
    const QSizeF points = pageSize(m_page);
    const double scale = m_zoom;  // points -> logical pixels
    m_pageWidget->marks.clear();
    for (const QRectF& r : m_highlights)
        m_pageWidget->marks.append(QRectF(r.x() * scale, r.y() * scale, r.width() * scale, r.height() * scale));
    m_pageWidget->setFixedSize((points * scale).toSize());
    m_pageWidget->update();
}

void PdfView::scrollToHighlight() {
    if (m_pageWidget->marks.isEmpty()) return;
    const QRectF r = m_pageWidget->marks.first();
    ensureVisible(int(r.center().x()), int(r.center().y()), 50, viewport()->height() / 3);
}

}  // namespace m1::ui
