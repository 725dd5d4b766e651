// Helpers shared by the tests/ui suites: the tiny random-weight model (made with `m1 make-model` in a temporary
// folder), a copy of the ingest fixture repository, and an event-loop latency probe.
#pragma once

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

#include <ctime>

namespace m1::ui::test {

// Makes the tiny model in dir/tiny; returns its path, or an empty string (with a warning) on failure.
inline QString makeTinyModel(const QTemporaryDir& dir, int seed = 7) {
    const QString out = dir.filePath(QStringLiteral("tiny"));
    QProcess p;
    p.start(QStringLiteral(M1_CLI), {QStringLiteral("make-model"), QStringLiteral("--preset"), QStringLiteral("tiny"),
                                     QStringLiteral("--seed"), QString::number(seed), QStringLiteral("--out"), out});
    if (!p.waitForFinished(180000) || p.exitCode() != 0) {
        qWarning("m1 make-model failed: %s", p.readAllStandardError().constData());
        return {};
    }
    return out;
}

// Runs a command and returns its stdout; empty (and *ok false) on failure.
inline QByteArray run(const QString& program, const QStringList& args, const QString& workdir = {}, bool* ok = nullptr) {
    if (ok) *ok = false;
    QProcess p;
    if (!workdir.isEmpty()) p.setWorkingDirectory(workdir);
    p.start(program, args);
    if (!p.waitForFinished(120000) || p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        qWarning("%s %s failed: %s", qPrintable(program), qPrintable(args.join(' ')), p.readAllStandardError().constData());
        return {};
    }
    if (ok) *ok = true;
    return p.readAllStandardOutput();
}

// Copies the ingest fixture repository (stored with .git renamed to .gitted) into dir/repo and checks out main.
inline QString copyFixtureRepo(const QTemporaryDir& dir) {
    const QString repo = dir.filePath(QStringLiteral("repo"));
    QDir().mkpath(repo);
    run(QStringLiteral("cp"), {QStringLiteral("-r"), QStringLiteral(M1_SOURCE_DIR "/tests/ingest/fixtures/git/repo/.gitted"),
                               repo + QStringLiteral("/.git")});
    run(QStringLiteral("git"), {QStringLiteral("-c"), QStringLiteral("safe.directory=*"), QStringLiteral("checkout"),
                                QStringLiteral("-q"), QStringLiteral("-f"), QStringLiteral("main")}, repo);
    return repo;
}

inline bool runOk(const QString& program, const QStringList& args, const QString& workdir = {}) {
    bool ok = false;
    run(program, args, workdir, &ok);
    return ok;
}

// Measures how long the GUI thread's event loop stalls, with a 5 ms timer on that thread. Two numbers per gap between
// ticks: the wall-clock gap, and the CPU time the GUI thread itself spent in it. A gap made of the thread's own work
// (a long slot, a flood of queued events) shows in both; a gap where the thread only waited to be scheduled, because
// other processes or the test's own workers held the cores, shows in the wall clock alone. The CPU time is what a
// stall test asserts on; the wall clock, with a looser bound, catches a GUI thread that blocks waiting for a worker.
class LatencyProbe : public QObject {
public:
    LatencyProbe() {
        m_timer.setInterval(5);
        m_timer.setTimerType(Qt::PreciseTimer);
        QObject::connect(&m_timer, &QTimer::timeout, this, [this] {
            const qint64 now = m_clock.nsecsElapsed();
            const qint64 cpu = threadCpuNs();
            if (m_last >= 0) {
                m_worst = qMax(m_worst, now - m_last);
                m_worstCpu = qMax(m_worstCpu, cpu - m_lastCpu);
            }
            m_last = now;
            m_lastCpu = cpu;
            ++m_ticks;
        });
    }
    void start() {
        m_clock.start();
        m_last = -1;
        m_worst = 0;
        m_worstCpu = 0;
        m_ticks = 0;
        m_timer.start();
    }
    void stop() { m_timer.stop(); }
    // The longest wall-clock gap between two ticks.
    double worstMs() const { return double(m_worst) / 1e6; }
    // The most CPU time the GUI thread spent between two ticks.
    double worstCpuMs() const { return double(m_worstCpu) / 1e6; }
    int ticks() const { return m_ticks; }

private:
    static qint64 threadCpuNs() {
        timespec t{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
        return qint64(t.tv_sec) * 1000000000 + t.tv_nsec;
    }
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_last = -1, m_lastCpu = 0;
    qint64 m_worst = 0, m_worstCpu = 0;
    int m_ticks = 0;
};

}  // namespace m1::ui::test
