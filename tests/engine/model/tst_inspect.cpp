// Parameter counts and memory estimates (engine/model/param_count.h) and m1 inspect through QProcess. The expected
// numbers for MiniMax-M1 are independent of this code: the index's total_size, and the model card / spec §1, §10
// (456.09 B parameters, 45.94 B active without embeddings, 48.40 B with them, 40,960 B of KV per token,
// 280 MiB of lightning state per sequence).
#include "engine/model/checkpoint.h"
#include "engine/model/param_count.h"

#include <nlohmann/json.hpp>

#include "tests/common/m1_process.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <fstream>

using nlohmann::json;

namespace {

QString m1_dir() {
    const QByteArray env = qgetenv("M1_SHARED_DIR");
    return (env.isEmpty() ? QStringLiteral(M1_SHARED_DIR) : QString::fromLocal8Bit(env)) +
           QStringLiteral("/models/minimax-m1");
}


uint64_t index_total_size() {
    std::ifstream in((m1_dir() + QStringLiteral("/model.safetensors.index.json")).toStdString());
    return json::parse(in).at("metadata").at("total_size").get<uint64_t>();
}

}  // namespace

class TestInspect : public QObject {
    Q_OBJECT
private slots:
    void countsMiniMaxM1() {
        const m1::model_config c =
            m1::model_config::from_json_file((m1_dir() + QStringLiteral("/config.json")).toStdString());
        const auto tensors = m1::expected_tensors(c);
        QCOMPARE(tensors.size(), size_t(8243));  // the official index lists 8,243 tensors
        const m1::param_counts p = m1::count_params(c, tensors);
        QCOMPARE(std::round(p.total / 1e7) / 100, 456.09);
        QCOMPARE(std::round(p.active_without_embeddings / 1e7) / 100, 45.94);
        QCOMPARE(std::round(p.active / 1e7) / 100, 48.40);
        QCOMPARE(p.bytes, index_total_size());  // bf16 everywhere but the fp32 routers, byte for byte
    }

    void estimatesMemoryPerGpu() {
        const m1::model_config c =
            m1::model_config::from_json_file((m1_dir() + QStringLiteral("/config.json")).toStdString());
        const auto tensors = m1::expected_tensors(c);
        const m1::memory_estimate one = m1::estimate_memory(c, tensors, 1);
        QCOMPARE(one.weight_bytes_per_gpu, index_total_size());
        QCOMPARE(one.kv_bytes_per_token_per_gpu, uint64_t(40960));
        QCOMPARE(one.state_bytes_per_sequence_per_gpu, uint64_t(280) << 20);
        const m1::memory_estimate eight = m1::estimate_memory(c, tensors, 8);
        QCOMPARE(eight.kv_bytes_per_token_per_gpu, uint64_t(40960 / 8));
        QCOMPARE(eight.state_bytes_per_sequence_per_gpu, (uint64_t(280) << 20) / 8);
        // Replicated norms and routers make the per-GPU share a little more than an eighth.
        QVERIFY(eight.weight_bytes_per_gpu > index_total_size() / 8);
        QVERIFY(eight.weight_bytes_per_gpu < index_total_size() / 8 + 200'000'000);
        QCOMPARE(one.total_for(1'000'000), index_total_size() + 40'960'000'000ull + (uint64_t(280) << 20));
        // Past 8 GPUs M1's 8 KV heads are replicated: each rank keeps one KV head's k/v projection rows (1/8 of
        // them), while everything else but the norms and routers is split 16 ways. Sizes from spec §3.
        const uint64_t kv = 10ull * 2 * 1024 * 6144 * 2;                            // 10 softmax layers, k and v
        const uint64_t replicated = 80ull * 2 * 6144 * 2 + 6144 * 2 + 80ull * 32 * 6144 * 4;  // norms, routers
        const m1::memory_estimate sixteen = m1::estimate_memory(c, tensors, 16);
        QCOMPARE(sixteen.weight_bytes_per_gpu, (index_total_size() - replicated - kv) / 16 + replicated + kv / 8);
        QCOMPARE(sixteen.kv_bytes_per_token_per_gpu, uint64_t(40960 / 8));
    }

    void cliReportsMiniMaxM1FromConfigAndIndex() {
        const m1test::M1Run r = m1test::runM1({QStringLiteral("inspect"), QStringLiteral("--model"), m1_dir()});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        for (const char* s : {"456.09 B total", "45.94 B without embeddings and lm_head", "48.40 B with them",
                              "912.2 GB", "912,210,767,872 bytes", "8163 tensors in BF16", "80 tensors in F32",
                              "40,960 bytes per token", "280.0 MiB per sequence", "weights not present"})
            QVERIFY2(r.out.contains(QLatin1String(s)), qPrintable(QLatin1String(s) + QLatin1Char('\n') + r.out));
        QVERIFY2(!r.out.contains(QStringLiteral("warning")), qPrintable(r.out));
        QVERIFY2(r.out.contains(QRegularExpression(QStringLiteral("\\n\\s+8\\s+114\\.\\d GB"))), qPrintable(r.out));

        const m1test::M1Run j = m1test::runM1({QStringLiteral("inspect"), QStringLiteral("--model"), m1_dir(), QStringLiteral("--json")});
        QVERIFY2(j.code == 0, qPrintable(j.err));
        const json doc = json::parse(j.out.toStdString());
        QCOMPARE(doc.at("parameters").at("total").get<int64_t>(), int64_t(456089655296));
        QCOMPARE(doc.at("bytes").get<uint64_t>(), index_total_size());
        QCOMPARE(doc.at("index_total_size").get<uint64_t>(), index_total_size());
        QCOMPARE(doc.at("softmax_layers").get<int>(), 10);
        QCOMPARE(doc.at("per_gpu").size(), size_t(4));
        QCOMPARE(doc.at("per_gpu")[3].at("gpus").get<int>(), 8);
    }

    void cliInspectsAModelWithWeights() {
        QTemporaryDir tmp;
        const QString dir = tmp.filePath(QStringLiteral("tiny"));
        QProcess p;
        p.start(QStringLiteral(M1_CLI), {QStringLiteral("make-model"), QStringLiteral("--preset"), QStringLiteral("tiny"),
                                         QStringLiteral("--seed"), QStringLiteral("3"), QStringLiteral("--out"), dir});
        QVERIFY(p.waitForFinished(120000));
        QCOMPARE(p.exitCode(), 0);
        const m1test::M1Run r = m1test::runM1({QStringLiteral("inspect"), QStringLiteral("--model"), dir, QStringLiteral("--json")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const json doc = json::parse(r.out.toStdString());
        QVERIFY(doc.at("weights_present").get<bool>());
        auto ck = m1::checkpoint::open(dir.toStdString());
        int64_t total = 0;
        for (const std::string& n : ck->names()) total += ck->tensor(n).numel();
        QCOMPARE(doc.at("parameters").at("total").get<int64_t>(), total);
        QCOMPARE(doc.at("bytes").get<uint64_t>(), static_cast<uint64_t>(ck->total_bytes()));
        // tiny: 4 heads, so 1, 2 and 4 GPUs.
        QCOMPARE(doc.at("per_gpu").size(), size_t(3));
        QVERIFY(doc.at("warnings").empty());

        // Weights that do not fit config.json: inspect still counts, and says what is wrong.
        std::ifstream in((dir + QStringLiteral("/config.json")).toStdString());
        json config = json::parse(in);
        in.close();
        config["num_local_experts"] = 3;
        std::ofstream((dir + QStringLiteral("/config.json")).toStdString()) << config.dump();
        const m1test::M1Run bad = m1test::runM1({QStringLiteral("inspect"), QStringLiteral("--model"), dir});
        QCOMPARE(bad.code, 0);
        QVERIFY2(bad.out.contains(QStringLiteral("warning: ")) &&
                     bad.out.contains(QStringLiteral("unexpected tensor model.layers.0.block_sparse_moe.experts.3.w1.weight")),
                 qPrintable(bad.out));
    }

    void cliErrors() {
        const m1test::M1Run none = m1test::runM1({QStringLiteral("inspect")});
        QCOMPARE(none.code, 2);
        QVERIFY(none.err.contains(QStringLiteral("--model")));
        QTemporaryDir tmp;
        const m1test::M1Run empty = m1test::runM1({QStringLiteral("inspect"), QStringLiteral("--model"), tmp.path()});
        QCOMPARE(empty.code, 1);
        QVERIFY2(empty.err.contains(tmp.path()), qPrintable(empty.err));
    }
};

QTEST_GUILESS_MAIN(TestInspect)
#include "tst_inspect.moc"
