// m1studio: the desktop application.
#include "app/core/Resources.h"
#include "app/core/Workspace.h"
#include "ui/MainWindow.h"
#include "ui/ScreenshotTour.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDockWidget>
#include <QPixmap>
#include <QSettings>
#include <QTimer>

#include <cstdio>

namespace {

// For `--check-docks`: reports each dock, saves a screenshot if asked, and exits with 0 only when every dock is
// present, visible and has a non-empty area in the grabbed window.
int checkDocks(m1::ui::MainWindow& window, const QString& screenshot) {
    const QPixmap shot = window.grab();
    bool ok = !shot.isNull() && shot.width() > 0;
    std::printf("window: %dx%d, screenshot %dx%d\n", window.width(), window.height(), shot.width(), shot.height());
    for (const QString& title : m1::ui::MainWindow::dockTitles()) {
        QDockWidget* dock = window.dock(title);
        const bool visible = dock && dock->isVisible() && dock->width() > 0 && dock->height() > 0;
        ok = ok && visible;
        const QRect g = dock ? dock->geometry() : QRect();
        std::printf("dock %s: %s (%d,%d %dx%d)\n", title.toUtf8().constData(), visible ? "visible" : "MISSING", g.x(),
                    g.y(), g.width(), g.height());
    }
    if (!screenshot.isEmpty() && !shot.save(screenshot)) {
        std::fprintf(stderr, "m1studio: cannot write the screenshot to %s\n", screenshot.toUtf8().constData());
        ok = false;
    }
    std::fflush(stdout);
    return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("M1 Studio"));
    QApplication::setOrganizationName(QStringLiteral("M1 Studio"));
    QApplication::setStyle(QStringLiteral("Fusion"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("M1 Studio: long-document analysis with MiniMax-M1."));
    parser.addHelpOption();
    QCommandLineOption demo(QStringLiteral("demo"), QStringLiteral("Open the demo workspace."));
    QCommandLineOption workspaceOpt(QStringLiteral("workspace"), QStringLiteral("Open this workspace file."),
                                    QStringLiteral("FILE"));
    QCommandLineOption check(QStringLiteral("check-docks"),
                             QStringLiteral("Show the window, report its docks, and exit (0 when all five show)."));
    QCommandLineOption screenshot(QStringLiteral("screenshot"),
                                  QStringLiteral("With --check-docks: save a screenshot of the window to FILE."),
                                  QStringLiteral("FILE"));
    QCommandLineOption tour(QStringLiteral("screenshots"),
                            QStringLiteral("With --demo: ask the demo question, save the window mid-answer and with a "
                                           "citation open into DIR, and exit (see packaging/screenshots.sh)."),
                            QStringLiteral("DIR"));
    QCommandLineOption settingsOpt(QStringLiteral("settings"),
                                   QStringLiteral("Keep the settings in this INI file instead of the user's."),
                                   QStringLiteral("FILE"));
    parser.addOptions({demo, workspaceOpt, check, screenshot, tour, settingsOpt});
    parser.process(app);

    // The settings store is made here and handed to the window: no global settings object.
    std::unique_ptr<QSettings> settings =
        parser.isSet(settingsOpt) ? std::make_unique<QSettings>(parser.value(settingsOpt), QSettings::IniFormat)
                                  : std::make_unique<QSettings>(QSettings::IniFormat, QSettings::UserScope,
                                                                QStringLiteral("M1 Studio"), QStringLiteral("m1studio"));
    m1::ui::MainWindow window(settings.get());
    QString file = parser.value(workspaceOpt);
    if (file.isEmpty() && parser.isSet(demo)) file = m1::app::demoWorkspaceFile();
    if (parser.isSet(demo) && file.isEmpty()) {
        std::fprintf(stderr, "m1studio: the demo workspace was not found (set M1_RESOURCES_DIR)\n");
        return 1;
    }
    if (!file.isEmpty()) {
        m1::app::Workspace workspace;
        QString error;
        if (!workspace.load(file, &error)) {
            std::fprintf(stderr, "m1studio: %s\n", error.toUtf8().constData());
            return 1;
        }
        window.showWorkspace(workspace);
    }
    window.show();

    if (parser.isSet(check)) {
        int status = 1;
        QTimer::singleShot(200, &app, [&] {
            status = checkDocks(window, parser.value(screenshot));
            app.quit();
        });
        app.exec();
        return status;
    }
    if (parser.isSet(tour)) {
        int status = 1;
        m1::ui::ScreenshotTour t(&window, parser.value(tour));
        QObject::connect(&t, &m1::ui::ScreenshotTour::finished, &app, [&](bool ok) {
            status = ok ? 0 : 1;
            app.quit();
        });
        t.start();
        app.exec();
        return status;
    }
    window.loadModel();
    return app.exec();
}
