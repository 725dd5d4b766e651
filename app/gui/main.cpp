// m1studio: the desktop application.
#include "app/core/Resources.h"
#include "app/core/Workspace.h"
#include "ui/MainWindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDockWidget>
#include <QPixmap>
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
    parser.addOptions({demo, workspaceOpt, check, screenshot});
    parser.process(app);

    m1::ui::MainWindow window;
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
    return app.exec();
}
