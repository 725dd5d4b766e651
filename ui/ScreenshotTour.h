// Drives the main window through the demo for the README's screenshots: waits for the demo model and the sources,
// asks the demo question, saves the window mid-answer, stops, opens a typed-in citation into the service agreement
// and saves the window again. Used by `m1studio --demo --screenshots DIR` (packaging/screenshots.sh runs it under
// Xvfb). GUI thread only.
#pragma once

#include <QObject>
#include <QString>

namespace m1::ui {

class MainWindow;

class ScreenshotTour : public QObject {
    Q_OBJECT
public:
    ScreenshotTour(MainWindow* window, const QString& outDir, QObject* parent = nullptr);
    void start();

signals:
    // ok: both screenshots were written.
    void finished(bool ok);

private:
    void maybeAsk();
    void shoot(const QString& name);
    void openCitation();

    MainWindow* m_window;
    QString m_out;
    bool m_modelReady = false, m_sourcesReady = false, m_asked = false, m_midShot = false, m_ok = true;
};

}  // namespace m1::ui
