// checkpoint: opening a model directory written by make_random_model and by Python's safetensors, lazy mapping,
// validate(), and one test per kind of damage (each message names the file or tensor and the problem).
#include "engine/model/checkpoint.h"
#include "engine/model/model_presets.h"
#include "engine/model/safetensors.h"

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QtTest>

#include <atomic>
#include <cmath>
#include <functional>
#include <filesystem>
#include <fstream>
#include <thread>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The tiny preset with a 320-entry vocabulary, written with seed 11.
void write_tiny(const std::string& dir) {
    m1::make_model_options o;
    o.out_dir = dir;
    o.config = m1::preset_config("tiny", 300);
    o.seed = 11;
    o.tokenizer_json = "{}";
    o.tokenizer_config_json = "{}";
    m1::make_random_model(o);
}

QString open_error(const std::string& dir, bool validate = true, bool official = false) {
    try {
        auto ck = m1::checkpoint::open(dir);
        if (validate) ck->validate(official);
    } catch (const m1::checkpoint_error& e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

json read_json(const fs::path& p) {
    std::ifstream in(p);
    return json::parse(in);
}

void write_json(const fs::path& p, const json& j) { std::ofstream(p) << j.dump(2); }

// Rewrites one shard with its tensors changed by `edit` (which may rename, reshape, retype, drop or add specs);
// the data of every tensor is filled with zeros. Updates the index's weight_map for names added or dropped.
void rewrite_shard(const fs::path& dir, const std::string& shard,
                   const std::function<void(std::vector<m1::tensor_spec>&)>& edit) {
    const m1::safetensors_header h = m1::read_safetensors_header((dir / shard).string());
    std::vector<m1::tensor_spec> specs;
    for (const auto& e : h.tensors) specs.push_back({e.name, e.type, e.shape});
    std::vector<m1::tensor_spec> before = specs;
    edit(specs);
    {
        m1::safetensors_writer w((dir / shard).string(), specs);
        for (const auto& s : specs) {
            std::vector<char> zeros(s.bytes());
            w.write(zeros.data(), zeros.size());
        }
        w.finish();
    }
    json index = read_json(dir / "model.safetensors.index.json");
    for (const auto& s : before) index["weight_map"].erase(s.name);
    for (const auto& s : specs) index["weight_map"][s.name] = shard;
    write_json(dir / "model.safetensors.index.json", index);
}

std::string shard_of(const fs::path& dir, const std::string& tensor) {
    return read_json(dir / "model.safetensors.index.json")["weight_map"][tensor].get<std::string>();
}

// Shard files of `dir` this process has mapped, from /proc/self/maps.
QStringList mapped_shards(const QString& dir) {
    QFile f(QStringLiteral("/proc/self/maps"));
    if (!f.open(QIODevice::ReadOnly)) return {QStringLiteral("no /proc/self/maps")};
    QStringList out;
    for (const QByteArray& line : f.readAll().split('\n')) {
        const int at = line.indexOf(dir.toUtf8());
        if (at >= 0) out << QFileInfo(QString::fromUtf8(line.mid(at))).fileName();
    }
    out.removeDuplicates();
    out.sort();
    return out;
}

}  // namespace

class TestCheckpoint : public QObject {
    Q_OBJECT

    QTemporaryDir m_tmp;
    std::string m_tiny;  // pristine tiny model, copied for each damage test

    std::string damaged_copy(const char* name) {
        const std::string dst = m_tmp.filePath(QString::fromLatin1(name)).toStdString();
        fs::copy(m_tiny, dst, fs::copy_options::recursive);
        return dst;
    }

private slots:
    void initTestCase() {
        QVERIFY(m_tmp.isValid());
        m_tiny = m_tmp.filePath(QStringLiteral("tiny")).toStdString();
        write_tiny(m_tiny);
    }

    void opensAndValidatesTheTinyModel() {
        auto ck = m1::checkpoint::open(m_tiny);
        ck->validate(true);
        const m1::model_config& c = ck->config();
        QCOMPARE(c.vocab_size, 320);
        QCOMPARE(ck->shard_files().size(), size_t(9));  // embeddings + one per layer
        const auto expected = m1::expected_tensors(c);
        QCOMPARE(ck->names().size(), expected.size());
        // 8 layers: 3 globals, 3 norms/router per layer, 4 attention tensors per layer, 3 per expert.
        QCOMPARE(expected.size(), size_t(3 + 8 * (3 + 4 + 3 * 4)));
        const m1::tensor_view router = ck->tensor("model.layers.3.block_sparse_moe.gate.weight");
        QCOMPARE(router.type, m1::dtype::f32);
        QCOMPARE(router.shape, (std::vector<int64_t>{4, 64}));
        const m1::tensor_view qkv = ck->tensor("model.layers.0.self_attn.qkv_proj.weight");
        QCOMPARE(qkv.type, m1::dtype::bf16);
        QCOMPARE(qkv.shape, (std::vector<int64_t>{3 * 64, 64}));
        QCOMPARE(ck->tensor("model.layers.3.self_attn.k_proj.weight").shape, (std::vector<int64_t>{32, 64}));
        QCOMPARE(ck->tensor("model.layers.3.self_attn.o_proj.weight").shape, (std::vector<int64_t>{64, 64}));
        QCOMPARE(ck->tensor("model.layers.7.block_sparse_moe.experts.3.w2.weight").shape,
                 (std::vector<int64_t>{64, 32}));
        QVERIFY(!ck->has("model.layers.3.self_attn.qkv_proj.weight"));  // layer 3 is a softmax layer
        QVERIFY_THROWS_EXCEPTION(m1::checkpoint_error, ck->tensor("model.layers.99.input_layernorm.weight"));
        // Norm weights are 1 ± 0.2 and the router is O(1/sqrt(64)): the values made it through the file.
        for (float v : m1::to_float(ck->tensor("model.norm.weight"))) QVERIFY(v > 0.79f && v < 1.21f);
        for (float v : m1::to_float(router)) QVERIFY(std::fabs(v) < 0.23f);
    }

    void mapsOnlyTheShardsThatAreTouched() {
        auto ck = m1::checkpoint::open(m_tiny);
        const QString dir = QString::fromStdString(m_tiny);
        QCOMPARE(mapped_shards(dir), QStringList());
        ck->tensor("model.embed_tokens.weight");
        QCOMPARE(mapped_shards(dir), QStringList{QStringLiteral("model-00000-of-00009.safetensors")});
        ck->tensor("model.layers.2.input_layernorm.weight");
        QCOMPARE(mapped_shards(dir), (QStringList{QStringLiteral("model-00000-of-00009.safetensors"),
                                                  QStringLiteral("model-00003-of-00009.safetensors")}));
        ck.reset();
        QCOMPARE(mapped_shards(dir), QStringList());  // the mappings go with the checkpoint
    }

    void tensorIsSafeFromSeveralThreads() {
        auto ck = m1::checkpoint::open(m_tiny);
        const std::vector<std::string> names = ck->names();
        std::atomic<int> bad{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t)
            threads.emplace_back([&, t] {
                for (size_t i = static_cast<size_t>(t); i < names.size(); i += 3) {
                    const m1::tensor_view v = ck->tensor(names[i]);
                    if (v.data == nullptr || v.bytes != static_cast<size_t>(v.numel()) * m1::dtype_size(v.type)) ++bad;
                }
            });
        for (auto& th : threads) th.join();
        QCOMPARE(bad.load(), 0);
    }

    void opensCheckpointsWrittenByPythonSafetensors() {
        // The golden models of tests/reference/model were written by Python's safetensors (another writer).
        const fs::path golden = fs::path(M1_SOURCE_DIR) / "tests/reference/model/golden";
        if (!fs::exists(golden)) QSKIP("no golden models in this tree");
        int opened = 0;
        for (const auto& e : fs::directory_iterator(golden)) {
            if (!fs::exists(e.path() / "config.json")) continue;
            auto ck = m1::checkpoint::open(e.path().string());
            ck->validate(true);
            QVERIFY(ck->shard_files().size() >= 2);
            QCOMPARE(ck->tensor("model.layers.0.block_sparse_moe.gate.weight").type, m1::dtype::f32);
            ++opened;
        }
        QVERIFY(opened >= 1);
    }

    void missingShard() {
        const std::string dir = damaged_copy("missing_shard");
        fs::remove(fs::path(dir) / "model-00004-of-00009.safetensors");
        const QString err = open_error(dir, false);
        QVERIFY2(err.contains(QStringLiteral("model.safetensors.index.json: shard file model-00004-of-00009.safetensors")) &&
                     err.contains(QStringLiteral("is missing")) && err.contains(QStringLiteral("model.layers.3.")),
                 qPrintable(err));
    }

    void wrongShape() {
        const std::string dir = damaged_copy("wrong_shape");
        const std::string name = "model.layers.1.self_attn.out_proj.weight";
        rewrite_shard(dir, shard_of(dir, name), [&](auto& specs) {
            for (auto& s : specs)
                if (s.name == name) s.shape = {64, 32};
        });
        const QString err = open_error(dir);
        QVERIFY2(err.contains(QStringLiteral("wrong shape for model.layers.1.self_attn.out_proj.weight: [64, 32], "
                                             "expected [64, 64] (in model-00002-of-00009.safetensors)")),
                 qPrintable(err));
        QVERIFY2(err.contains(QStringLiteral("(1 problem)")), qPrintable(err));
    }

    void wrongDtype() {
        // A dtype the engine cannot read is refused at open, naming the shard and the tensor.
        const std::string dir = damaged_copy("wrong_dtype");
        const std::string shard = shard_of(dir, "model.norm.weight");
        const fs::path path = fs::path(dir) / shard;
        const m1::safetensors_header h = m1::read_safetensors_header(path.string());
        std::ifstream in(path, std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        in.close();
        // Same length, so offsets stay valid: "BF16" -> "I16 " is not possible in JSON; swap BF16 -> "U16" + pad.
        const std::string from = R"("model.norm.weight":{"dtype":"BF16")", to = R"("model.norm.weight":{"dtype":"I16" )";
        const size_t at = bytes.find(from);
        QVERIFY(at != std::string::npos && at < h.data_start);
        bytes.replace(at, from.size(), to);
        std::ofstream(path, std::ios::binary) << bytes;
        const QString err = open_error(dir, false);
        QVERIFY2(err.contains(QString::fromStdString(shard) + QStringLiteral(": tensor 'model.norm.weight': dtype I16 "
                                                                             "is not supported")),
                 qPrintable(err));

        // A readable but unofficial dtype (an F16 router) passes validate() and fails validate(official dtypes).
        const std::string dir2 = damaged_copy("unofficial_dtype");
        const std::string router = "model.layers.5.block_sparse_moe.gate.weight";
        rewrite_shard(dir2, shard_of(dir2, router), [&](auto& specs) {
            for (auto& s : specs)
                if (s.name == router) s.type = m1::dtype::f16;
        });
        QCOMPARE(open_error(dir2, true, false), QString());
        const QString err2 = open_error(dir2, true, true);
        QVERIFY2(err2.contains(QStringLiteral("wrong dtype for model.layers.5.block_sparse_moe.gate.weight: F16, "
                                              "expected F32")),
                 qPrintable(err2));
    }

    void truncatedFile() {
        const std::string dir = damaged_copy("truncated");
        const fs::path shard = fs::path(dir) / "model-00008-of-00009.safetensors";
        fs::resize_file(shard, fs::file_size(shard) - 100);
        const QString err = open_error(dir, false);
        // The last tensor of the last shard is lm_head (after model.norm).
        QVERIFY2(err.contains(QStringLiteral("model-00008-of-00009.safetensors: file is truncated: tensor "
                                             "'lm_head.weight' needs bytes up to")),
                 qPrintable(err));
    }

    void badJson_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("message");
        QTest::newRow("config") << "config.json" << "config.json: not valid JSON";
        QTest::newRow("index") << "model.safetensors.index.json"
                               << "model.safetensors.index.json: bad JSON in the checkpoint index";
        QTest::newRow("shard header") << "model-00002-of-00009.safetensors"
                                      << "model-00002-of-00009.safetensors: bad JSON header";
    }

    void badJson() {
        QFETCH(QString, file);
        QFETCH(QString, message);
        const std::string dir = damaged_copy(qPrintable(QStringLiteral("bad_json_") + QString(QTest::currentDataTag()).replace(' ', '_')));
        const fs::path path = fs::path(dir) / file.toStdString();
        std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(file.endsWith(QStringLiteral(".safetensors")) ? 8 : 0);  // first byte of the JSON
        f.put('#');
        f.close();
        const QString err = open_error(dir, false);
        QVERIFY2(err.contains(message), qPrintable(err));
    }

    void missingTensor() {
        const std::string dir = damaged_copy("missing_tensor");
        const std::string name = "model.layers.6.block_sparse_moe.experts.2.w3.weight";
        rewrite_shard(dir, shard_of(dir, name), [&](auto& specs) {
            std::erase_if(specs, [&](const m1::tensor_spec& s) { return s.name == name; });
        });
        const QString err = open_error(dir);
        QVERIFY2(err.contains(QStringLiteral("missing tensor model.layers.6.block_sparse_moe.experts.2.w3.weight [32, 64]")),
                 qPrintable(err));
    }

    void unexpectedTensor() {
        const std::string dir = damaged_copy("unexpected_tensor");
        rewrite_shard(dir, "model-00001-of-00009.safetensors", [&](auto& specs) {
            specs.push_back({"model.layers.0.self_attn.rotary_emb.inv_freq", m1::dtype::f32, {4}});
            specs.push_back({"model.layers.0.block_sparse_moe.experts.4.w1.weight", m1::dtype::bf16, {32, 64}});
        });
        const QString err = open_error(dir);
        QVERIFY2(err.contains(QStringLiteral("(2 problems)")), qPrintable(err));
        QVERIFY2(err.contains(QStringLiteral("unexpected tensor model.layers.0.self_attn.rotary_emb.inv_freq [4] (in "
                                             "model-00001-of-00009.safetensors)")),
                 qPrintable(err));
        QVERIFY2(err.contains(QStringLiteral("unexpected tensor model.layers.0.block_sparse_moe.experts.4.w1.weight")),
                 qPrintable(err));
    }

    void manyProblemsAreCounted() {
        // A config.json that does not fit the weights: every expert tensor has the wrong shape.
        const std::string dir = damaged_copy("other_config");
        json config = read_json(fs::path(dir) / "config.json");
        config["intermediate_size"] = 16;
        write_json(fs::path(dir) / "config.json", config);
        const QString err = open_error(dir);
        QVERIFY2(err.contains(QStringLiteral("(96 problems):")), qPrintable(err));  // 8 layers x 4 experts x 3
        QVERIFY2(err.contains(QStringLiteral("\n  ... and 56 more")), qPrintable(err));
        QCOMPARE(err.count(QStringLiteral("wrong shape for ")), 40);
    }

    void indexNamesATensorTheShardLacks() {
        const std::string dir = damaged_copy("index_mismatch");
        json index = read_json(fs::path(dir) / "model.safetensors.index.json");
        index["weight_map"]["model.norm.weight"] = "model-00001-of-00009.safetensors";
        write_json(fs::path(dir) / "model.safetensors.index.json", index);
        const QString err = open_error(dir, false);
        QVERIFY2(err.contains(QStringLiteral("tensor 'model.norm.weight' is mapped to shard "
                                             "model-00001-of-00009.safetensors, but that shard's header does not contain it")),
                 qPrintable(err));
    }

    void notAModelDirectory() {
        QVERIFY(open_error(m_tmp.filePath(QStringLiteral("nothing")).toStdString()).contains(QStringLiteral("not a model directory")));
        const std::string dir = damaged_copy("no_weights");
        fs::remove(fs::path(dir) / "model.safetensors.index.json");
        QVERIFY(open_error(dir).contains(QStringLiteral("no model.safetensors.index.json and no model.safetensors")));
        fs::remove(fs::path(dir) / "config.json");
        QVERIFY(open_error(dir).contains(QStringLiteral("config.json: cannot open")));
    }

    void singleFileCheckpoint() {
        // A model.safetensors without an index: all its tensors are the checkpoint.
        const std::string dir = m_tmp.filePath(QStringLiteral("single")).toStdString();
        fs::create_directories(dir);
        fs::copy_file(fs::path(m_tiny) / "config.json", fs::path(dir) / "config.json");
        auto src = m1::checkpoint::open(m_tiny);
        const auto specs = m1::expected_tensors(src->config());
        {
            m1::safetensors_writer w((fs::path(dir) / "model.safetensors").string(), specs);
            for (const auto& s : specs) {
                const m1::tensor_view v = src->tensor(s.name);
                w.write(v.data, v.bytes);
            }
            w.finish();
        }
        auto ck = m1::checkpoint::open(dir);
        ck->validate(true);
        const m1::tensor_view a = ck->tensor("lm_head.weight"), b = src->tensor("lm_head.weight");
        QCOMPARE(a.bytes, b.bytes);
        QVERIFY(std::memcmp(a.data, b.data, a.bytes) == 0);
    }
};

QTEST_GUILESS_MAIN(TestCheckpoint)
#include "tst_checkpoint.moc"
