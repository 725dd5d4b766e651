// The demo model (tiny preset, seed 1, random weights), made on first use by running `m1 make-model` in a child
// process, exactly as `m1 demo` does (same folder, so the CLI and the app share one copy). The model is written
// beside its final name and renamed into place, so an interrupted run never leaves a half model behind.
// GUI thread only; the work happens in the child process.
#pragma once

#include <QObject>
#include <QProcess>

namespace m1::ui {

class DemoModel : public QObject {
    Q_OBJECT
public:
    explicit DemoModel(QObject* parent = nullptr);

    // ~/.cache/m1studio/demo-model-tiny-seed1 (or under $XDG_CACHE_HOME).
    static QString directory();
    static bool exists(const QString& directory);
    // The m1 executable next to this program's executable.
    static QString defaultCli();

    // Emits ready(dir) at once when the model exists, else makes it with `cli make-model` and then emits ready or
    // failed(message with the tool's stderr).
    void ensure(const QString& cli = defaultCli(), const QString& dir = directory());
    // Stops a make-model run in progress (nothing is emitted; the partial folder is removed at the next ensure()).
    void cancel();

signals:
    void ready(const QString& directory);
    void failed(const QString& error);

private:
    QProcess m_process;
    QString m_dir;
    bool m_cancelled = false;
};

}  // namespace m1::ui
