#include "ui/workers/DemoModel.h"

#include "app/core/Resources.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QTimer>

namespace m1::ui {

DemoModel::DemoModel(QObject* parent) : QObject(parent) {
    connect(&m_process, &QProcess::finished, this, [this](int code, QProcess::ExitStatus status) {
        const QString partial = m_dir + QStringLiteral(".partial");
        if (m_cancelled) return;
        if (status != QProcess::NormalExit || code != 0) {
            emit failed(tr("Could not make the demo model in %1: %2")
                            .arg(m_dir, QString::fromLocal8Bit(m_process.readAllStandardError()).trimmed()));
            return;
        }
        QDir(m_dir).removeRecursively();
        if (!QDir().rename(partial, m_dir)) {
            emit failed(tr("Could not move %1 to %2").arg(partial, m_dir));
            return;
        }
        emit ready(m_dir);
    });
    connect(&m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
        if (e == QProcess::FailedToStart)
            emit failed(tr("Could not start %1 to make the demo model: %2").arg(m_process.program(), m_process.errorString()));
    });
}

QString DemoModel::directory() { return m1::app::demoModelDir(); }

bool DemoModel::exists(const QString& dir) {
    return QFileInfo::exists(dir + QStringLiteral("/model.safetensors.index.json"));
}

QString DemoModel::defaultCli() { return QCoreApplication::applicationDirPath() + QStringLiteral("/m1"); }

void DemoModel::cancel() {
    m_cancelled = true;
    if (m_process.state() != QProcess::NotRunning) {
        m_process.kill();
        m_process.waitForFinished(3000);
    }
}

void DemoModel::ensure(const QString& cli, const QString& dir) {
    m_dir = dir;
    m_cancelled = false;
    if (exists(dir)) {
        QTimer::singleShot(0, this, [this] {
            if (!m_cancelled) emit ready(m_dir);
        });
        return;
    }
    const QString partial = dir + QStringLiteral(".partial");
    QDir(partial).removeRecursively();
    QDir().mkpath(QFileInfo(dir).absolutePath());
    m_process.start(cli, {QStringLiteral("make-model"), QStringLiteral("--preset"), QStringLiteral("tiny"),
                          QStringLiteral("--seed"), QStringLiteral("1"), QStringLiteral("--out"), partial});
}

}  // namespace m1::ui
