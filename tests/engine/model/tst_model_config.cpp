// model_config: both naming schemes of config.json (spec §2.1, §2.3), defaults, round trip, and every validation
// error naming the file and the field.
#include "engine/model/config.h"

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

using nlohmann::json;

namespace {

QString shared_dir() {
    const QByteArray env = qgetenv("M1_SHARED_DIR");
    return env.isEmpty() ? QStringLiteral(M1_SHARED_DIR) : QString::fromLocal8Bit(env);
}

// A small valid config in the official names: 4 layers, softmax at 1 and 3.
json tiny_official() {
    return json{{"model_type", "minimax_m1"},
                {"vocab_size", 320},
                {"hidden_size", 64},
                {"num_hidden_layers", 4},
                {"num_attention_heads", 4},
                {"num_key_value_heads", 2},
                {"head_dim", 16},
                {"rotary_dim", 8},
                {"rope_theta", 10000000},
                {"max_position_embeddings", 4096},
                {"intermediate_size", 32},
                {"num_local_experts", 4},
                {"num_experts_per_tok", 2},
                {"shared_intermediate_size", 0},
                {"hidden_act", "silu"},
                {"attn_type_list", {0, 1, 0, 1}},
                {"layernorm_full_attention_alpha", 2.0},
                {"layernorm_full_attention_beta", 0.5},
                {"layernorm_linear_attention_alpha", 3.0},
                {"layernorm_linear_attention_beta", 0.25},
                {"layernorm_mlp_alpha", 4.0},
                {"layernorm_mlp_beta", 0.125},
                {"postnorm", true},
                {"rms_norm_eps", 1e-6}};
}

// The same model in transformers' MiniMaxConfig names (model_type "minimax", transformers 5 rope_parameters).
json tiny_hf_native() {
    return json{{"model_type", "minimax"},
                {"vocab_size", 320},
                {"hidden_size", 64},
                {"num_hidden_layers", 4},
                {"num_attention_heads", 4},
                {"num_key_value_heads", 2},
                {"head_dim", 16},
                {"rotary_dim", 8},
                {"rope_parameters", {{"rope_type", "default"}, {"rope_theta", 10000000.0}}},
                {"max_position_embeddings", 4096},
                {"intermediate_size", 32},
                {"num_local_experts", 4},
                {"num_experts_per_tok", 2},
                {"hidden_act", "silu"},
                {"layer_types", {"linear_attention", "full_attention", "linear_attention", "full_attention"}},
                {"full_attn_alpha_factor", 2.0},
                {"full_attn_beta_factor", 0.5},
                {"linear_attn_alpha_factor", 3.0},
                {"linear_attn_beta_factor", 0.25},
                {"mlp_alpha_factor", 4.0},
                {"mlp_beta_factor", 0.125},
                {"block_size", 256},
                {"rms_norm_eps", 1e-6}};
}

}  // namespace

class TestModelConfig : public QObject {
    Q_OBJECT
private slots:
    void readsTheOfficialM1Config() {
        const std::string path = (shared_dir() + "/models/minimax-m1/config.json").toStdString();
        const m1::model_config c = m1::model_config::from_json_file(path);
        QCOMPARE(c.vocab_size, 200064);
        QCOMPARE(c.hidden_size, 6144);
        QCOMPARE(c.num_layers, 80);
        QCOMPARE(c.num_heads, 64);
        QCOMPARE(c.num_kv_heads, 8);
        QCOMPARE(c.head_dim, 128);
        QCOMPARE(c.rotary_dim, 64);
        QCOMPARE(c.attn_dim(), 8192);
        QCOMPARE(c.kv_dim(), 1024);
        QCOMPARE(c.intermediate_size, 9216);
        QCOMPARE(c.num_experts, 32);
        QCOMPARE(c.experts_per_token, 2);
        QCOMPARE(c.max_position_embeddings, 10240000);
        QCOMPARE(c.rope_theta, 1e7);
        QCOMPARE(c.rms_norm_eps, 1e-5);
        QCOMPARE(c.lightning_norm_eps, 1e-6);
        QCOMPARE(c.lightning_block, 256);
        QCOMPARE(c.count_layers(m1::layer_kind::lightning), 70);
        QCOMPARE(c.count_layers(m1::layer_kind::softmax), 10);
        for (int64_t l = 0; l < 80; ++l)  // spec §12: softmax exactly where (l + 1) % 8 == 0
            QCOMPARE(c.kind(l) == m1::layer_kind::softmax, (l + 1) % 8 == 0);
        QCOMPARE(c.attn_alpha(0), 3.5565588200778455);
        QCOMPARE(c.attn_alpha(7), 3.5565588200778455);
        QCOMPARE(c.mlp_alpha, 3.5565588200778455);
        QCOMPARE(c.attn_beta(7), 1.0);
        QVERIFY(c.postnorm);
        QVERIFY(!c.tie_word_embeddings);
    }

    void bothNamingSchemesGiveTheSameConfig() {
        const m1::model_config a = m1::model_config::from_json(tiny_official(), "official");
        const m1::model_config b = m1::model_config::from_json(tiny_hf_native(), "hf");
        QVERIFY(a == b);
        QCOMPARE(a.attn_alpha(0), 3.0);  // lightning layer
        QCOMPARE(a.attn_beta(0), 0.25);
        QCOMPARE(a.attn_alpha(1), 2.0);  // softmax layer
        QCOMPARE(a.attn_beta(1), 0.5);
        QCOMPARE(a.mlp_alpha, 4.0);
        QCOMPARE(a.mlp_beta, 0.125);
        QCOMPARE(a.rms_norm_eps, 1e-6);
        QVERIFY(b.postnorm);  // transformers hard-codes post-norm: a missing field means true there
    }

    void documentedDefaultsFillMissingFields() {
        json j = tiny_official();
        for (const char* k : {"rotary_dim", "rope_theta", "rms_norm_eps", "shared_intermediate_size", "hidden_act",
                              "layernorm_mlp_alpha", "max_position_embeddings"})
            j.erase(k);
        j["head_dim"] = nullptr;  // null means missing: head_dim = hidden / heads
        const m1::model_config c = m1::model_config::from_json(j, "defaults");
        QCOMPARE(c.head_dim, 16);
        QCOMPARE(c.rotary_dim, 16);  // rotary_dim defaults to head_dim
        QCOMPARE(c.rope_theta, 1e6);
        QCOMPARE(c.rms_norm_eps, 1e-5);
        QCOMPARE(c.max_position_embeddings, 131072);
        QCOMPARE(c.mlp_alpha, 1.0);
        QCOMPARE(c.hidden_act, std::string("silu"));

        json hf = tiny_hf_native();
        hf.erase("layer_types");
        hf["num_hidden_layers"] = 3;
        hf.erase("rope_parameters");
        hf.erase("rotary_dim");
        hf["partial_rotary_factor"] = 0.5;
        const m1::model_config h = m1::model_config::from_json(hf, "hf defaults");
        QCOMPARE(h.rope_theta, 1e6);
        QCOMPARE(h.rotary_dim, 8);
        // MiniMaxConfig's default layer_types alternate, starting with full attention.
        QVERIFY(h.layers == (std::vector<m1::layer_kind>{m1::layer_kind::softmax, m1::layer_kind::lightning,
                                                          m1::layer_kind::softmax}));
    }

    void toJsonWritesOfficialNamesAndRoundTrips() {
        m1::model_config c = m1::model_config::from_json(tiny_hf_native(), "hf");
        c.lightning_block = 4;
        const json j = c.to_json();
        QCOMPARE(j.at("model_type").get<std::string>(), std::string("minimax_m1"));
        QCOMPARE(j.at("attn_type_list"), json({0, 1, 0, 1}));
        QCOMPARE(j.at("layernorm_linear_attention_alpha").get<double>(), 3.0);
        QCOMPARE(j.at("num_local_experts").get<int>(), 4);
        QCOMPARE(j.at("block_size").get<int>(), 4);
        QVERIFY(!j.contains("layer_types"));
        QVERIFY(j.at("postnorm").get<bool>());
        QVERIFY(m1::model_config::from_json(j, "round trip") == c);
    }

    void rejectsInvalidConfigs_data() {
        QTest::addColumn<QString>("patch");  // a JSON merge patch applied to tiny_official()
        QTest::addColumn<QString>("message");  // expected in the error, after the origin
        QTest::newRow("zero hidden") << R"({"hidden_size": 0})" << "'hidden_size' must be positive";
        QTest::newRow("negative vocab") << R"({"vocab_size": -5})" << "'vocab_size' must be positive";
        QTest::newRow("zero layers") << R"({"num_hidden_layers": 0, "attn_type_list": []})"
                                     << "'num_hidden_layers' must be positive";
        QTest::newRow("kv does not divide") << R"({"num_key_value_heads": 3})"
                                            << "'num_key_value_heads' = 3 must divide num_attention_heads = 4";
        QTest::newRow("odd rotary") << R"({"rotary_dim": 7})" << "'rotary_dim' = 7 must be even";
        QTest::newRow("rotary too wide") << R"({"rotary_dim": 32})" << "'rotary_dim' = 32 must not exceed head_dim = 16";
        QTest::newRow("layer list length") << R"({"attn_type_list": [0, 1, 0]})"
                                           << "has 3 entries but num_hidden_layers = 4";
        QTest::newRow("layer list value") << R"({"attn_type_list": [0, 2, 0, 1]})"
                                          << "'attn_type_list' entry 1 must be 0 (lightning) or 1 (softmax)";
        QTest::newRow("layer list missing") << R"({"attn_type_list": null})" << "'attn_type_list' is missing";
        QTest::newRow("too many active experts") << R"({"num_experts_per_tok": 5})"
                                                 << "'num_experts_per_tok' = 5 must not exceed num_local_experts = 4";
        QTest::newRow("postnorm false") << R"({"postnorm": false})" << "'postnorm' is false";
        QTest::newRow("postnorm missing") << R"({"postnorm": null})" << "'postnorm' is missing";
        QTest::newRow("activation") << R"({"hidden_act": "gelu"})" << "'hidden_act' = \"gelu\"";
        QTest::newRow("shared expert") << R"({"shared_intermediate_size": 16})" << "'shared_intermediate_size' = 16";
        QTest::newRow("string size") << R"({"head_dim": "16"})" << "'head_dim' must be an integer";
        QTest::newRow("fractional size") << R"({"intermediate_size": 32.5})" << "'intermediate_size' must be an integer";
        QTest::newRow("bad eps") << R"({"rms_norm_eps": -1})" << "'rms_norm_eps' must be positive";
        QTest::newRow("bad theta") << R"({"rope_theta": "big"})" << "'rope_theta' must be a number";
        QTest::newRow("bad postnorm type") << R"({"postnorm": 1})" << "'postnorm' must be true or false";
        QTest::newRow("rope scaling") << R"({"rope_scaling": {"type": "linear", "factor": 2.0}})"
                                      << "'rope_scaling' is set: RoPE scaling is not implemented";
        QTest::newRow("rope type") << R"({"rope_theta": null, "rope_parameters": {"rope_type": "yarn", "rope_theta": 1e6}})"
                                   << "'rope_parameters.rope_type' = \"yarn\"";
        QTest::newRow("sliding window") << R"({"sliding_window": 4096})" << "'sliding_window' is set";
    }

    void rejectsInvalidConfigs() {
        QFETCH(QString, patch);
        QFETCH(QString, message);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        json j = tiny_official();
        const json p = json::parse(patch.toStdString());
        j.merge_patch(p);
        for (const auto& [k, v] : p.items())  // merge_patch removes keys set to null: keep them, as null
            if (v.is_null()) j[k] = nullptr;
        const std::string path = dir.filePath(QStringLiteral("config.json")).toStdString();
        std::ofstream(path) << j.dump(2);
        try {
            m1::model_config::from_json_file(path);
            QFAIL("no error");
        } catch (const m1::config_error& e) {
            const QString what = QString::fromStdString(e.what());
            QVERIFY2(what.startsWith(QString::fromStdString(path) + QStringLiteral(": ")), qPrintable(what));
            QVERIFY2(what.contains(message), qPrintable(what));
        }
    }

    void namesTheFileForBadJsonAndMissingFiles() {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("config.json")).toStdString();
        std::ofstream(path) << "{\"hidden_size\": 64,, }";
        try {
            m1::model_config::from_json_file(path);
            QFAIL("no error");
        } catch (const m1::config_error& e) {
            const QString what = QString::fromStdString(e.what());
            QVERIFY2(what.startsWith(QString::fromStdString(path)) && what.contains(QStringLiteral("not valid JSON")),
                     qPrintable(what));
        }
        const std::string missing = dir.filePath(QStringLiteral("nope/config.json")).toStdString();
        try {
            m1::model_config::from_json_file(missing);
            QFAIL("no error");
        } catch (const m1::config_error& e) {
            const QString what = QString::fromStdString(e.what());
            QVERIFY2(what.startsWith(QString::fromStdString(missing)) && what.contains(QStringLiteral("cannot open")),
                     qPrintable(what));
        }
        std::ofstream(path) << "[1, 2]";
        QVERIFY_THROWS_EXCEPTION(m1::config_error, m1::model_config::from_json_file(path));
    }
};

QTEST_GUILESS_MAIN(TestModelConfig)
#include "tst_model_config.moc"
