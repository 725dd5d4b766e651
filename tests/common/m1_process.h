// Shared by the test suites that drive the real m1 executable (M1_CLI) through QProcess, and that read ../shared.
#pragma once

#include <QProcess>
#include <QString>
#include <QStringList>

namespace m1test {

struct M1Run {
    int code = -1;         // exit status; -1 when the process crashed or timed out
    bool crashed = false;
    bool timedOut = false;
    QByteArray outBytes, errBytes;  // exactly what it wrote
    QString out, err;               // the same, as UTF-8 text
};

// Runs `m1 args...` and waits for it (two minutes at most).
inline M1Run runM1(const QStringList& args, const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment(),
                   int timeoutMs = 120000) {
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(M1_CLI), args);
    M1Run r;
    if (!p.waitForFinished(timeoutMs)) {
        r.timedOut = true;
        p.kill();
        p.waitForFinished(5000);
        r.err = QStringLiteral("timed out");
        return r;
    }
    r.crashed = p.exitStatus() != QProcess::NormalExit;
    r.code = r.crashed ? -1 : p.exitCode();
    r.outBytes = p.readAllStandardOutput();
    r.errBytes = p.readAllStandardError();
    r.out = QString::fromUtf8(r.outBytes);
    r.err = QString::fromUtf8(r.errBytes);
    return r;
}

// The project's shared data folder: $M1_SHARED_DIR when set, else the configured ../shared.
inline QString sharedDir() {
    return qEnvironmentVariableIsSet("M1_SHARED_DIR") ? qEnvironmentVariable("M1_SHARED_DIR")
                                                      : QStringLiteral(M1_SHARED_DIR);
}

// The real MiniMax-M1 tokenizer.json in the shared folder.
inline QString m1TokenizerPath() { return sharedDir() + QStringLiteral("/models/minimax-m1/tokenizer.json"); }

}  // namespace m1test
