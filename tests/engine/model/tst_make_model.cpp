// m1 make-model through QProcess: a complete, valid, deterministic model directory in the official layout, with the
// project's tokenizer (same structure as M1's) or a copied one; w16 refused without --config-only.
#include "engine/model/checkpoint.h"
#include "engine/model/demo_tokenizer.h"
#include "engine/model/model_presets.h"

#include <nlohmann/json.hpp>

#include <QCryptographicHash>
#include <QDir>
#include "tests/common/m1_process.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

using nlohmann::json;

namespace {

QString shared_dir() {
    const QByteArray env = qgetenv("M1_SHARED_DIR");
    return env.isEmpty() ? QStringLiteral(M1_SHARED_DIR) : QString::fromLocal8Bit(env);
}


json read_json(const QString& path) {
    std::ifstream in(path.toStdString());
    return json::parse(in);
}

// File name -> sha256 of every file in a folder.
QMap<QString, QByteArray> hashes(const QString& dir) {
    QMap<QString, QByteArray> out;
    for (const QFileInfo& fi : QDir(dir).entryInfoList(QDir::Files, QDir::Name)) {
        QFile f(fi.filePath());
        if (!f.open(QIODevice::ReadOnly)) return {};
        out[fi.fileName()] = QCryptographicHash::hash(f.readAll(), QCryptographicHash::Sha256).toHex();
    }
    return out;
}

}  // namespace

class TestMakeModel : public QObject {
    Q_OBJECT
    QTemporaryDir m_tmp;

    QString path(const QString& name) const { return m_tmp.filePath(name); }

private slots:
    void initTestCase() { QVERIFY(m_tmp.isValid()); }

    void writesAValidTinyModelInTheOfficialLayout() {
        const m1test::M1Run r = m1test::runM1({QStringLiteral("make-model"), QStringLiteral("--preset"), QStringLiteral("tiny"),
                                     QStringLiteral("--seed"), QStringLiteral("7"), QStringLiteral("--out"),
                                     path(QStringLiteral("a"))});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains(QStringLiteral("random weights")), qPrintable(r.out));
        const QString dir = path(QStringLiteral("a"));
        for (const char* f : {"config.json", "model.safetensors.index.json", "tokenizer.json", "tokenizer_config.json"})
            QVERIFY2(QFileInfo::exists(dir + QLatin1Char('/') + QLatin1String(f)), f);

        auto ck = m1::checkpoint::open(dir.toStdString());
        ck->validate(true);  // every tensor with its spec §3 shape and dtype (router F32, the rest BF16)
        QVERIFY(ck->shard_files().size() >= 2);

        const json config = read_json(dir + QStringLiteral("/config.json"));
        QCOMPARE(config.at("attn_type_list"), json({0, 0, 0, 1, 0, 0, 0, 1}));
        QCOMPARE(config.at("hidden_size").get<int>(), 64);
        QCOMPARE(config.at("num_attention_heads").get<int>(), 4);
        QCOMPARE(config.at("head_dim").get<int>(), 16);
        QCOMPARE(config.at("num_key_value_heads").get<int>(), 2);
        QCOMPARE(config.at("rotary_dim").get<int>(), 8);
        QCOMPARE(config.at("num_local_experts").get<int>(), 4);
        QCOMPARE(config.at("intermediate_size").get<int>(), 32);
        QVERIFY(config.at("postnorm").get<bool>());
        QVERIFY(!config.contains("block_size"));  // 256, the remote code's constant
        QCOMPARE(config.at("layernorm_mlp_alpha").get<double>(), 2.0);  // (2 * 8 layers)^(1/4)

        const json index = read_json(dir + QStringLiteral("/model.safetensors.index.json"));
        QCOMPARE(index.at("metadata").at("total_size").get<uint64_t>(), static_cast<uint64_t>(ck->total_bytes()));
        QCOMPARE(index.at("weight_map").size(), ck->names().size());

        // The vocabulary covers the project's tokenizer, padded to a multiple of 64.
        const json tok = read_json(dir + QStringLiteral("/tokenizer.json"));
        const int64_t tokens = tok.at("added_tokens").back().at("id").get<int64_t>() + 1;
        QCOMPARE(ck->config().vocab_size % 64, 0);
        QVERIFY(ck->config().vocab_size >= tokens && ck->config().vocab_size < tokens + 64);
    }

    void isDeterministicForASeed() {
        for (const char* name : {"b", "c"}) {
            const m1test::M1Run r = m1test::runM1({QStringLiteral("make-model"), QStringLiteral("--preset"), QStringLiteral("tiny"),
                                         QStringLiteral("--seed"), QLatin1String(name) == QLatin1String("b") ? QStringLiteral("7") : QStringLiteral("8"),
                                         QStringLiteral("--out"), path(QLatin1String(name))});
            QVERIFY2(r.code == 0, qPrintable(r.err));
        }
        const auto a = hashes(path(QStringLiteral("a"))), b = hashes(path(QStringLiteral("b"))),
                   c = hashes(path(QStringLiteral("c")));
        QVERIFY(a.size() >= 6);
        QCOMPARE(a, b);  // same seed: byte-identical files
        QCOMPARE(c.keys(), a.keys());
        int differing = 0;
        for (const QString& f : a.keys()) differing += a[f] != c[f] ? 1 : 0;
        // Another seed changes every shard, and the index only in its note of the seed.
        QCOMPARE(differing, static_cast<int>(a.size()) - 3);
        json ia = read_json(path(QStringLiteral("a/model.safetensors.index.json")));
        json ic = read_json(path(QStringLiteral("c/model.safetensors.index.json")));
        QCOMPARE(ia.at("metadata").at("m1studio_random_weights").get<std::string>(), std::string("seed 7"));
        QCOMPARE(ic.at("metadata").at("m1studio_random_weights").get<std::string>(), std::string("seed 8"));
        ia["metadata"].erase("m1studio_random_weights");
        ic["metadata"].erase("m1studio_random_weights");
        QVERIFY(ia == ic);
    }

    void projectTokenizerHasM1sStructure() {
        const json mine = read_json(path(QStringLiteral("a/tokenizer.json")));
        const json m1tok = read_json(shared_dir() + QStringLiteral("/models/minimax-m1/tokenizer.json"));
        for (const char* k : {"normalizer", "pre_tokenizer", "post_processor", "decoder", "truncation", "padding"})
            QVERIFY2(mine.at(k) == m1tok.at(k), k);
        for (const char* k : {"type", "dropout", "unk_token", "continuing_subword_prefix", "end_of_word_suffix",
                              "fuse_unk", "byte_fallback"})
            QVERIFY2(mine.at("model").at(k) == m1tok.at("model").at(k), k);
        // The same 36 special tokens, by name and order, with the same flags.
        QCOMPARE(mine.at("added_tokens").size(), m1tok.at("added_tokens").size());
        for (size_t i = 0; i < mine.at("added_tokens").size(); ++i) {
            json a = mine["added_tokens"][i], b = m1tok["added_tokens"][i];
            a.erase("id");
            b.erase("id");
            QVERIFY2(a == b, qPrintable(QString::fromStdString(a.dump())));
        }
        // Ids 0..255 are the byte symbols in byte order, exactly as in M1's vocabulary.
        std::map<int64_t, std::string> m1_ids;
        for (const auto& [text, id] : m1tok.at("model").at("vocab").items())
            if (id.get<int64_t>() < 256) m1_ids[id.get<int64_t>()] = text;
        std::map<int64_t, std::string> my_ids;
        for (const auto& [text, id] : mine.at("model").at("vocab").items())
            if (id.get<int64_t>() < 256) my_ids[id.get<int64_t>()] = text;
        QCOMPARE(my_ids.size(), size_t(256));
        QVERIFY(my_ids == m1_ids);
        // A few hundred merges, each joining two existing tokens into one in the vocabulary.
        const json& merges = mine.at("model").at("merges");
        QVERIFY2(merges.size() >= 200 && merges.size() <= size_t(m1::k_demo_tokenizer_merges),
                 qPrintable(QString::number(merges.size())));
        for (const auto& m : merges) {
            const std::string s = m.get<std::string>();
            const size_t sp = s.find(' ');
            QVERIFY(sp != std::string::npos);
            const json& vocab = mine.at("model").at("vocab");
            QVERIFY2(vocab.contains(s.substr(0, sp)) && vocab.contains(s.substr(sp + 1)) &&
                         vocab.contains(s.substr(0, sp) + s.substr(sp + 1)),
                     s.c_str());
        }
        const json cfg = read_json(path(QStringLiteral("a/tokenizer_config.json")));
        QCOMPARE(cfg.at("eos_token").get<std::string>(), std::string("<end_of_sentence>"));
        QCOMPARE(cfg.at("bos_token").get<std::string>(), std::string("<beginning_of_sentence>"));
        QVERIFY(cfg.at("chat_template").get<std::string>().find("<begin_of_document>") != std::string::npos);
    }

    void copiesAGivenTokenizer() {
        const QString tok = shared_dir() + QStringLiteral("/models/minimax-m1/tokenizer.json");
        const m1test::M1Run r = m1test::runM1({QStringLiteral("make-model"), QStringLiteral("--preset"), QStringLiteral("tiny"),
                                     QStringLiteral("--seed"), QStringLiteral("1"), QStringLiteral("--out"),
                                     path(QStringLiteral("m1tok")), QStringLiteral("--tokenizer"), tok});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        auto ck = m1::checkpoint::open(path(QStringLiteral("m1tok")).toStdString());
        ck->validate(true);
        QCOMPARE(ck->config().vocab_size, 200064);  // 200036 ids rounded up to a multiple of 64, as in M1
        const auto h = hashes(path(QStringLiteral("m1tok")));
        QCOMPARE(h[QStringLiteral("tokenizer.json")], hashes(QFileInfo(tok).path())[QStringLiteral("tokenizer.json")]);
        const json cfg = read_json(path(QStringLiteral("m1tok/tokenizer_config.json")));
        const json official = read_json(shared_dir() + QStringLiteral("/models/minimax-m1/tokenizer_config.json"));
        QCOMPARE(cfg.at("chat_template"), official.at("chat_template"));
    }

    void refusesW16WeightsButWritesItsConfig() {
        const m1test::M1Run r = m1test::runM1({QStringLiteral("make-model"), QStringLiteral("--preset"), QStringLiteral("w16"),
                                     QStringLiteral("--seed"), QStringLiteral("1"), QStringLiteral("--out"),
                                     path(QStringLiteral("w16"))});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(QStringLiteral("--config-only")) && r.err.contains(QStringLiteral(" GB")), qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(path(QStringLiteral("w16/config.json"))));

        const m1test::M1Run ok = m1test::runM1({QStringLiteral("make-model"), QStringLiteral("--preset"), QStringLiteral("w16"),
                                      QStringLiteral("--seed"), QStringLiteral("1"), QStringLiteral("--out"),
                                      path(QStringLiteral("w16")), QStringLiteral("--config-only")});
        QVERIFY2(ok.code == 0, qPrintable(ok.err));
        const json config = read_json(path(QStringLiteral("w16/config.json")));
        QCOMPARE(config.at("hidden_size").get<int>(), 6144);
        QCOMPARE(config.at("vocab_size").get<int>(), 200064);
        QCOMPARE(config.at("num_local_experts").get<int>(), 16);
        QCOMPARE(config.at("attn_type_list").size(), size_t(16));
        QCOMPARE(config.at("attn_type_list")[7].get<int>(), 1);
        QCOMPARE(config.at("attn_type_list")[15].get<int>(), 1);
        QVERIFY(QDir(path(QStringLiteral("w16"))).entryList({QStringLiteral("*.safetensors")}).isEmpty());
        // Its index lists every tensor with the total size of the weights it would have.
        const json index = read_json(path(QStringLiteral("w16/model.safetensors.index.json")));
        const uint64_t total = index.at("metadata").at("total_size").get<uint64_t>();
        QVERIFY2(total > 95e9 && total < 105e9, qPrintable(QString::number(total)));
    }

    void reportsUsageErrors_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("message");
        QTest::newRow("no preset") << QStringList{QStringLiteral("--seed"), QStringLiteral("1"), QStringLiteral("--out"), QStringLiteral("x")}
                                   << 2 << "needs --preset";
        QTest::newRow("unknown preset") << QStringList{QStringLiteral("--preset"), QStringLiteral("huge"), QStringLiteral("--seed"), QStringLiteral("1"),
                                                       QStringLiteral("--out"), QStringLiteral("x")}
                                        << 2 << "unknown preset 'huge'";
        QTest::newRow("bad seed") << QStringList{QStringLiteral("--preset"), QStringLiteral("tiny"), QStringLiteral("--seed"), QStringLiteral("abc"),
                                                 QStringLiteral("--out"), QStringLiteral("x")}
                                  << 2 << "--seed expects an integer";
        QTest::newRow("existing folder") << QStringList{QStringLiteral("--preset"), QStringLiteral("tiny"), QStringLiteral("--seed"), QStringLiteral("1"),
                                                        QStringLiteral("--out"), QStringLiteral("@a")}
                                         << 1 << "exists and is not empty";
        QTest::newRow("missing tokenizer") << QStringList{QStringLiteral("--preset"), QStringLiteral("tiny"), QStringLiteral("--seed"), QStringLiteral("1"),
                                                          QStringLiteral("--out"), QStringLiteral("@t"), QStringLiteral("--tokenizer"), QStringLiteral("@nope.json")}
                                           << 1 << "nope.json: cannot read the tokenizer";
        QTest::newRow("not a tokenizer") << QStringList{QStringLiteral("--preset"), QStringLiteral("tiny"), QStringLiteral("--seed"), QStringLiteral("1"),
                                                        QStringLiteral("--out"), QStringLiteral("@t2"), QStringLiteral("--tokenizer"), QStringLiteral("@a/config.json")}
                                         << 1 << "a/config.json: ";
    }

    void reportsUsageErrors() {
        QFETCH(QStringList, args);
        QFETCH(int, code);
        QFETCH(QString, message);
        for (QString& a : args)
            if (a.startsWith(QLatin1Char('@'))) a = path(a.mid(1));
        const m1test::M1Run r = m1test::runM1(QStringList{QStringLiteral("make-model")} + args);
        QCOMPARE(r.code, code);
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(path(QStringLiteral("t2"))));  // nothing written for a bad tokenizer
    }
};

QTEST_GUILESS_MAIN(TestMakeModel)
#include "tst_make_model.moc"
