#include "app/core/Resources.h"
#include "app/core/Workspace.h"
#include "engine/core/build_info.h"
#include "ui/MainWindow.h"
#include "ui/SettingsDialog.h"
#include "ui/panes/SourcesPane.h"

#include <QComboBox>
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

    void settingsOfferTheCpuAndEachGpu() {
        m1::ui::AppSettings s;
        s.backend = QStringLiteral("cuda");
        m1::ui::SettingsDialog dialog(s);
        QComboBox* backend = nullptr;
        for (QComboBox* c : dialog.findChildren<QComboBox*>())
            if (c->accessibleName() == QStringLiteral("Backend")) backend = c;
        QVERIFY(backend);
        QCOMPARE(backend->itemData(0).toString(), QStringLiteral("cpu"));
        const m1::gpu_report gpus = m1::query_gpus();
        if (gpus.devices.empty()) {
            // One entry that says why there is no GPU, kept so that a saved "cuda" setting survives.
            QCOMPARE(backend->count(), 2);
            QVERIFY(backend->itemText(1).contains(QString::fromStdString(gpus.why_none)));
            QCOMPARE(dialog.settings().backend, QStringLiteral("cuda"));
        } else {
            QCOMPARE(backend->count(), 1 + int(gpus.devices.size()));
            QCOMPARE(dialog.settings().backend, QStringLiteral("cuda:0"));
        }
        backend->setCurrentIndex(0);
        QCOMPARE(dialog.settings().backend, QStringLiteral("cpu"));
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
