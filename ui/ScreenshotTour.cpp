#include "ui/ScreenshotTour.h"

#include "ui/MainWindow.h"
#include "ui/models/ConversationModel.h"
#include "ui/models/SourcesModel.h"
#include "ui/panes/Banner.h"
#include "ui/panes/ConversationPane.h"
#include "ui/workers/SessionController.h"
#include "ui/workers/SourceIngestor.h"

#include <QDir>
#include <QPixmap>
#include <QPlainTextEdit>
#include <QTimer>

#include <cstdio>

namespace m1::ui {

namespace {
const char* kQuestion = "Which clause limits the Supplier's liability, and to how much?";
}

ScreenshotTour::ScreenshotTour(MainWindow* window, const QString& outDir, QObject* parent)
    : QObject(parent), m_window(window), m_out(outDir) {}

void ScreenshotTour::start() {
    QDir().mkpath(m_out);
    connect(m_window, &MainWindow::modelReady, this, [this] {
        m_modelReady = true;
        maybeAsk();
    });
    connect(m_window, &MainWindow::sourcesIdle, this, [this] {
        m_sourcesReady = true;
        maybeAsk();
    });
    // Mid-answer: once a few lines of the answer are on screen.
    connect(m_window->conversationModel(), &ConversationModel::changed, this, [this] {
        ConversationModel* m = m_window->conversationModel();
        if (m_midShot || !m->isStreaming()) return;
        if (m->turn(m->turnCount() - 1).answer.size() < 700) return;
        m_midShot = true;
        m_window->conversationPane()->renderNow();
        QTimer::singleShot(120, this, [this] {
            m_window->conversationPane()->renderNow();
            shoot(QStringLiteral("main-window-answering.png"));
            m_window->stop();
        });
    });
    connect(m_window->session(), &SessionController::turnFinished, this, [this] {
        QTimer::singleShot(200, this, &ScreenshotTour::openCitation);
    });
    connect(m_window->session(), &SessionController::failed, this, [this](const QString& e) {
        std::fprintf(stderr, "m1studio: %s\n", e.toUtf8().constData());
        emit finished(false);
    });
    QTimer::singleShot(180000, this, [this] {
        std::fprintf(stderr, "m1studio: the screenshot tour timed out\n");
        emit finished(false);
    });
    m_window->loadModel();
}

void ScreenshotTour::maybeAsk() {
    // The tokenizer arrives with the model and sources are counted again; ask once all of that is done.
    if (m_asked || !m_modelReady || !m_sourcesReady || m_window->ingestor()->isBusy()) return;
    m_asked = true;
    m_window->openSourceRow(0, QString());  // something in the viewer while the answer streams
    m_window->conversationPane()->input()->setPlainText(QString::fromUtf8(kQuestion));
    QTimer::singleShot(300, this, [this] { m_window->ask(QString::fromUtf8(kQuestion)); });
}

void ScreenshotTour::openCitation() {
    // The demo model has random weights and never cites, so the citation is typed in, as a user may do to check a
    // passage; the Citations pane lists it as typed in.
    QString tag;
    for (const QString& t : {QStringLiteral("T1"), QStringLiteral("T2"), QStringLiteral("T3")}) {
        auto src = m_window->session()->sourceForTag(t);
        if (src && QString::fromStdString(src->path).endsWith(QLatin1String("service-agreement.md"))) tag = t;
    }
    if (tag.isEmpty()) tag = QStringLiteral("T2");
    const QString cite = QStringLiteral("[%1 L34-35 \"The Supplier's total liability under this Agreement shall not "
                                        "exceed the fees paid by the Customer\"]").arg(tag);
    m_ok = m_window->openCitationText(cite) && m_ok;
    m_window->conversationPane()->input()->setPlainText(QStringLiteral("How can either party end the agreement?"));
    QTimer::singleShot(400, this, [this] {
        shoot(QStringLiteral("main-window-citation.png"));
        emit finished(m_ok && m_midShot);
    });
}

void ScreenshotTour::shoot(const QString& name) {
    const QString file = QDir(m_out).filePath(name);
    const QPixmap shot = m_window->grab();
    if (shot.isNull() || !shot.save(file)) {
        std::fprintf(stderr, "m1studio: cannot write %s\n", file.toUtf8().constData());
        m_ok = false;
        return;
    }
    std::printf("wrote %s (%dx%d)\n", file.toUtf8().constData(), shot.width(), shot.height());
    std::fflush(stdout);
}

}  // namespace m1::ui
