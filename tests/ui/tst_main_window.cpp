#include "app/core/Resources.h"
#include "app/core/Workspace.h"
#include "ui/MainWindow.h"
#include "ui/panes/SourcesPane.h"

#include <QDockWidget>
#include <QStatusBar>
#include <QTreeView>
#include <QtTest>

class TestMainWindow : public QObject {
    Q_OBJECT
private slots:
    void hasFiveVisibleDocksAndAStatusBar() {
        m1::ui::MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        const QStringList expected = {QStringLiteral("Sources"), QStringLiteral("Viewer"),
                                      QStringLiteral("Conversation"), QStringLiteral("Reasoning"),
                                      QStringLiteral("Citations")};
        QCOMPARE(m1::ui::MainWindow::dockTitles(), expected);
        QCOMPARE(w.findChildren<QDockWidget*>().size(), expected.size());
        const QPixmap shot = w.grab();
        QVERIFY(!shot.isNull());
        for (const QString& title : expected) {
            QDockWidget* d = w.dock(title);
            QVERIFY2(d, qPrintable(title));
            QCOMPARE(d->windowTitle(), title);
            QVERIFY(d->isVisible());
            QVERIFY(d->width() > 20 && d->height() > 20);
            QVERIFY(shot.rect().contains(d->geometry()));  // inside the grabbed window
            QVERIFY(!d->widget()->accessibleName().isEmpty());
        }
        QVERIFY(w.statusBar()->isVisible());
    }

    void showsTheDemoWorkspaceSources() {
        m1::app::Workspace ws;
        QString error;
        QVERIFY2(ws.load(m1::app::demoWorkspaceFile(), &error), qPrintable(error));
        m1::ui::MainWindow w;
        w.showWorkspace(ws);
        QTreeView* view = w.sourcesPane()->view();
        QVERIFY(w.dock(QStringLiteral("Sources"))->isAncestorOf(view));
        QCOMPARE(view->model()->rowCount(), int(ws.sources().size()));
        QCOMPARE(view->model()->index(0, 0).data().toString(), QStringLiteral("getting-started.md"));
        QVERIFY(w.windowTitle().contains(ws.name()));
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
