// The project's own tokenizer (engine/model/demo_tokenizer.h): it loads in the engine's tokenizer, encodes like Hugging
// Face `tokenizers` (golden ids from tests/reference/demo_tokenizer/make_golden.py), round-trips text, and its writer
// still produces the fixture those ids were computed for.
#include "engine/model/demo_tokenizer.h"
#include "engine/tokenizer/tokenizer.h"

#include <nlohmann/json.hpp>

#include <QtTest>

#include <fstream>
#include <sstream>

using nlohmann::json;

namespace {

const std::string k_fixture_dir = M1_SOURCE_DIR "/tests/reference/demo_tokenizer";

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Inverse of the GPT-2 byte-to-unicode alphabet, from byte_level_symbol.
std::string symbols_to_bytes(const std::string& symbols) {
    static const std::map<std::string, char> inverse = [] {
        std::map<std::string, char> m;
        for (int b = 0; b < 256; ++b) m[m1::byte_level_symbol(static_cast<unsigned char>(b))] = static_cast<char>(b);
        return m;
    }();
    std::string out;
    for (size_t i = 0; i < symbols.size();) {
        const size_t len = (static_cast<unsigned char>(symbols[i]) < 0x80) ? 1 : 2;  // the alphabet is below U+0800
        out += inverse.at(symbols.substr(i, len));
        i += len;
    }
    return out;
}

}  // namespace

class TestDemoTokenizer : public QObject {
    Q_OBJECT
private slots:
    void encodesLikeHuggingFaceTokenizers() {
        const auto tok = m1::tokenizer::load(k_fixture_dir + "/tokenizer.json");
        const json golden = json::parse(read_file(k_fixture_dir + "/golden.json"));
        QCOMPARE(tok->size(), golden.at("vocab_size").get<size_t>());
        int cases = 0;
        for (const json& c : golden.at("cases")) {
            const std::string text = c.at("text").get<std::string>();
            const std::vector<int32_t> want = c.at("ids").get<std::vector<int32_t>>();
            const std::vector<int32_t> got = tok->encode(text);
            QVERIFY2(got == want, qPrintable(QString::fromStdString("ids differ for: " + text)));
            QCOMPARE(tok->decode(got), c.at("decoded").get<std::string>());
            ++cases;
        }
        QVERIFY(cases >= 15);
    }

    void specialTokensHaveM1sNames() {
        const auto tok = m1::tokenizer::load(k_fixture_dir + "/tokenizer.json");
        for (const std::string& name : m1::m1_special_tokens()) {
            const int32_t id = tok->token_id(name);
            QVERIFY2(id >= 256 && tok->is_special(id), name.c_str());
        }
        QCOMPARE(tok->token_id("<jupyter_error>"), static_cast<int32_t>(tok->size()) - 1);  // the last of the 36
        QCOMPARE(tok->token_id("a"), 97);  // ids 0..255 are the bytes
    }

    void writerReproducesTheFixture() {
        // The merges of the fixture, written again by demo_tokenizer_json, give the fixture byte for byte.
        const std::string fixture = read_file(k_fixture_dir + "/tokenizer.json");
        std::vector<std::pair<std::string, std::string>> merges;
        const json parsed = json::parse(fixture);
        for (const json& m : parsed.at("model").at("merges")) {
            const std::string s = m.get<std::string>();
            const size_t sp = s.find(' ');
            merges.emplace_back(symbols_to_bytes(s.substr(0, sp)), symbols_to_bytes(s.substr(sp + 1)));
        }
        QCOMPARE(m1::demo_tokenizer_json(merges), fixture);
        QCOMPARE(m1::demo_tokenizer_config_json(), read_file(k_fixture_dir + "/tokenizer_config.json"));
    }

    void freshlyTrainedTokenizerRoundTrips() {
        // Trained on today's demo documents, as m1 make-model does; every document must come back unchanged.
        const std::vector<std::string> corpus = m1::read_demo_corpus(m1::default_demo_corpus_dir());
        const auto merges = m1::train_bpe_merges(corpus, m1::k_demo_tokenizer_merges);
        QVERIFY(merges.size() >= 100);
        const auto tok = m1::tokenizer::from_json(m1::demo_tokenizer_json(merges), "demo tokenizer");
        QCOMPARE(tok->size(), size_t(256 + merges.size() + 36));
        for (const std::string& text : corpus) {
            const std::vector<int32_t> ids = tok->encode(text);
            QVERIFY(ids.size() < text.size());  // the merges compress the text they were learned from
            QCOMPARE(tok->decode(ids), text);
        }
        const std::string mixed = "<beginning_of_sentence>user name=user\nnaïve 中文 🚀 1234567<end_of_sentence>\n";
        QCOMPARE(tok->decode(tok->encode(mixed)), mixed);
    }

    void trainerIsDeterministicAndPicksTheMostFrequentPair() {
        // "ab" occurs 3 times, "cd" twice: the first merge is (a, b), the second (c, d); nothing else repeats.
        const auto merges = m1::train_bpe_merges({"ab ab ab cd cd"}, 10);
        QVERIFY(merges.size() >= 2);
        QCOMPARE(merges[0], (std::pair<std::string, std::string>("a", "b")));
        QVERIFY(m1::train_bpe_merges({"ab ab ab cd cd"}, 10) == merges);
        QCOMPARE(m1::train_bpe_merges({"ab ab ab cd cd"}, 1).size(), size_t(1));
    }
};

QTEST_GUILESS_MAIN(TestDemoTokenizer)
#include "tst_demo_tokenizer.moc"
