#include "engine/core/build_info.h"

#include <QtTest>

class TestBuildInfo : public QObject {
    Q_OBJECT
private slots:
    void versionIsSemantic() {
        const QString v = QString::fromLatin1(m1::version_string());
        QVERIFY2(QRegularExpression(QStringLiteral("^\\d+\\.\\d+\\.\\d+$")).match(v).hasMatch(), qPrintable(v));
        QVERIFY(QByteArray(m1::build_type()).size() > 0);
    }

    void describesDevices() {
        m1::gpu_report report;
        report.devices.push_back({0, "NVIDIA H200", 9, 0, size_t(150) * 1024 * 1024 * 1024});
        report.devices.push_back({1, "NVIDIA H200", 9, 0, size_t(75) * 1024 * 1024 * 1024});
        QCOMPARE(QString::fromStdString(m1::describe_gpus(report)),
                 QStringLiteral("GPU 0: NVIDIA H200 (sm_90, 150.0 GiB)\nGPU 1: NVIDIA H200 (sm_90, 75.0 GiB)"));
    }

    void reportsWhyThereIsNoGpu() {
        const m1::gpu_report report = m1::query_gpus();
        if (!report.devices.empty()) QSKIP("this machine has a GPU");
        QVERIFY(!report.why_none.empty());
        const QString text = QString::fromStdString(m1::describe_gpus(report));
        QVERIFY2(text.startsWith(QStringLiteral("no GPU (")), qPrintable(text));
        if (!m1::cuda_built_in()) QCOMPARE(report.why_none, std::string("CUDA not built in"));
    }
};

QTEST_GUILESS_MAIN(TestBuildInfo)
#include "tst_build_info.moc"
