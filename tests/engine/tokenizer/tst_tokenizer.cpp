// engine/tokenizer against Hugging Face tokenizers: every id of every corpus file and probe must equal the golden
// ids that tests/reference/tokenizer/make_golden.py wrote with tokenizers 0.23 from the real MiniMax-M1
// tokenizer.json; decode must give back the NFC of the text (hashes from Python's unicodedata). Also: the spec's §6
// table, special tokens, streaming decode, invalid UTF-8, bad tokenizer.json files, and concurrent encoding.
#include "engine/tokenizer/tokenizer.h"
#include "tests/common/m1_process.h"
#include "tests/common/test_files.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <cstring>
#include <future>

using ids_t = std::vector<int32_t>;
Q_DECLARE_METATYPE(ids_t)

namespace {

const QString k_reference = QStringLiteral(M1_SOURCE_DIR "/tests/reference/tokenizer");

QString tokenizerPath() { return m1test::m1TokenizerPath(); }

using m1test::readAll;
using m1test::writeAll;

std::string_view view(const QByteArray& b) { return std::string_view(b.constData(), size_t(b.size())); }

ids_t readIds(const QString& path) {
    const QByteArray raw = readAll(path);
    ids_t ids(size_t(raw.size()) / 4);
    for (size_t i = 0; i < ids.size(); ++i) {  // little-endian int32, whatever the host
        const auto* p = reinterpret_cast<const unsigned char*>(raw.constData()) + 4 * i;
        ids[i] = int32_t(uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24);
    }
    return ids;
}

QString sha256(const std::string& s) {
    return QString::fromLatin1(
        QCryptographicHash::hash(QByteArray::fromRawData(s.data(), qsizetype(s.size())), QCryptographicHash::Sha256)
            .toHex());
}

QJsonObject golden() {
    static const QJsonObject g = QJsonDocument::fromJson(readAll(k_reference + QStringLiteral("/golden/golden.json"))).object();
    return g;
}

// Where two id sequences first differ, with the text around it, so that a failure says what to look at.
QByteArray describeDifference(const m1::tokenizer& tok, const ids_t& got, const ids_t& want) {
    size_t i = 0;
    while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
    auto around = [&](const ids_t& ids) {
        QByteArray out;
        for (size_t k = i >= 3 ? i - 3 : 0; k < std::min(ids.size(), i + 4); ++k) {
            const std::string text = tok.decode(std::span(&ids[k], 1));
            out += QByteArray::number(ids[k]) + "'" + QByteArray(text.data(), qsizetype(text.size())).toPercentEncoding(" <>/_.,:;=-") + "' ";
        }
        return out;
    };
    return "sizes " + QByteArray::number(qsizetype(got.size())) + " vs " + QByteArray::number(qsizetype(want.size())) +
           ", first difference at id " + QByteArray::number(qsizetype(i)) + "\n got: " + around(got) +
           "\nwant: " + around(want);
}

ids_t toIds(const QJsonArray& a) {
    ids_t ids;
    for (const auto& v : a) ids.push_back(v.toInt());
    return ids;
}

}  // namespace

class TestTokenizer : public QObject {
    Q_OBJECT

    std::unique_ptr<m1::tokenizer> m_tok;

private slots:
    void initTestCase() {
        if (!QFile::exists(tokenizerPath()))
            QFAIL(qPrintable(QStringLiteral("the real tokenizer is missing: ") + tokenizerPath()));
        m_tok = m1::tokenizer::load(tokenizerPath().toStdString());
        QVERIFY(golden().value(QStringLiteral("tokenizers_version")).toString().startsWith(QStringLiteral("0.")));
    }

    void sizeAndSpecialTokens() {
        QCOMPARE(m_tok->size(), size_t(200036));
        QCOMPARE(golden().value(QStringLiteral("vocab_size")).toInt(), 200036);
        // Spec §6: the 36 added tokens, all special, ids 200000..200035.
        const char* specials[] = {"<pad>", "<fim_prefix>", "<fim_middle>", "<fim_suffix>", "<fim_pad>", "<reponame>",
            "<filename>", "<gh_stars>", "<issue_start>", "<issue_comment>", "<issue_closed>", "<jupyter_start>",
            "<jupyter_text>", "<jupyter_code>", "<jupyter_output>", "<empty_output>", "<commit_before>", "<commit_msg>",
            "<commit_after>", "<beginning_of_sentence>", "<end_of_sentence>", "<end_of_document>", "<function_call>",
            "<code_interpreter>", "<speech>", "<image>", "<video>", "<start_of_speech>", "<end_of_speech>",
            "<start_of_image>", "<end_of_image>", "<start_of_video>", "<end_of_video>", "<vision_pad>",
            "<begin_of_document>", "<jupyter_error>"};
        for (int32_t i = 0; i < 36; ++i) {
            QCOMPARE(m_tok->token_id(specials[i]), 200000 + i);
            QVERIFY(m_tok->is_special(200000 + i));
            QCOMPARE(m_tok->token_text(200000 + i), std::string(specials[i]));
            QCOMPARE(m_tok->encode(specials[i]), ids_t{200000 + i});
            QCOMPARE(m_tok->decode(ids_t{200000 + i}), std::string(specials[i]));
        }
        QVERIFY(!m_tok->is_special(0));
        QVERIFY(!m_tok->is_special(199999));
        QVERIFY(!m_tok->is_special(-1));
        QVERIFY(!m_tok->is_special(200036));
        // Ids 0..255 are the byte symbols in byte order; vocab strings are in the byte-level alphabet.
        QCOMPARE(m_tok->token_id("!"), 33);
        QCOMPARE(m_tok->token_id("\xC4\x80"), 0);  // 'Ā' = byte 0x00
        QCOMPARE(m_tok->token_text(10), std::string("\xC4\x8A"));  // 'Ċ' = '\n'
        QCOMPARE(m_tok->token_text(1100), std::string(">\xC4\x8A"));
        QCOMPARE(m_tok->token_id(">\xC4\x8A"), 1100);
        QCOMPARE(m_tok->token_bytes(1100), std::string_view(">\n"));
        QCOMPARE(m_tok->token_id("<think>"), -1);  // spelled with ordinary pieces in M1 (spec §6)
        QCOMPARE(m_tok->token_id(""), -1);
        QCOMPARE(m_tok->token_text(-5), std::string());
        QCOMPARE(m_tok->token_text(200036), std::string());
    }

    void specTable_data() {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<ids_t>("ids");
        // Spec §6 reference ids (an independent re-implementation, confirmed by HF in the probes below).
        QTest::newRow("think open") << QByteArray("<think>\n") << ids_t{60, 37959, 1100};
        QTest::newRow("think close") << QByteArray("\n</think>\n") << ids_t{10, 1579, 37959, 1100};
        QTest::newRow("think bare") << QByteArray("<think>") << ids_t{60, 37959, 62};
        QTest::newRow("think close bare") << QByteArray("</think>") << ids_t{1579, 37959, 62};
        QTest::newRow("tool_calls") << QByteArray("<tool_calls>\n") << ids_t{60, 45382, 144303, 1100};
        QTest::newRow("tool_calls close") << QByteArray("</tool_calls>") << ids_t{1579, 45382, 144303, 62};
        QTest::newRow("system") << QByteArray("<begin_of_document><beginning_of_sentence>system ai_setting=assistant\n")
                                << ids_t{200034, 200019, 28463, 28609, 100932, 61, 153156, 10};
        QTest::newRow("user") << QByteArray("<beginning_of_sentence>user name=user\n") << ids_t{200019, 3995, 1925, 133646, 10};
        QTest::newRow("ai") << QByteArray("<beginning_of_sentence>ai name=assistant\n") << ids_t{200019, 1361, 1925, 61, 153156, 10};
        QTest::newRow("tool") << QByteArray("<beginning_of_sentence>tool name=tools\n") << ids_t{200019, 45382, 1925, 61, 32650, 10};
        QTest::newRow("eos") << QByteArray("<end_of_sentence>\n") << ids_t{200020, 10};
        QTest::newRow("hello") << QByteArray("Hello, world! 12345 d\xC3\xA9j\xC3\xA0 vu")
                               << ids_t{19739, 44, 2035, 33, 32, 10010, 2879, 13570, 25331};
    }
    void specTable() {
        QFETCH(QByteArray, text);
        QFETCH(ids_t, ids);
        QCOMPARE(m_tok->encode(view(text)), ids);
        QCOMPARE(m_tok->count(view(text)), ids.size());
        QCOMPARE(m_tok->decode(ids), std::string(view(text)));
    }

    void corpusMatchesHuggingFace_data() {
        QTest::addColumn<QString>("name");
        const QJsonObject files = golden().value(QStringLiteral("files")).toObject();
        QVERIFY(files.size() >= 10);
        qint64 total = 0;
        for (auto it = files.begin(); it != files.end(); ++it) {
            QTest::newRow(qPrintable(it.key())) << it.key();
            total += it.value().toObject().value(QStringLiteral("bytes")).toInteger();
        }
        QVERIFY(total >= 200 * 1000);
    }
    void corpusMatchesHuggingFace() {
        QFETCH(QString, name);
        const QJsonObject g = golden().value(QStringLiteral("files")).toObject().value(name).toObject();
        const QByteArray text = readAll(k_reference + QStringLiteral("/corpus/") + name);
        QCOMPARE(text.size(), g.value(QStringLiteral("bytes")).toInteger());
        const ids_t want = readIds(k_reference + QStringLiteral("/golden/") + QFileInfo(name).completeBaseName() + QStringLiteral(".ids"));
        QCOMPARE(qint64(want.size()), g.value(QStringLiteral("tokens")).toInteger());

        const ids_t got = m_tok->encode(view(text));
        QVERIFY2(got == want, describeDifference(*m_tok, got, want).constData());
        QCOMPARE(m_tok->count(view(text)), want.size());

        // decode(encode(x)) == NFC(x): both hashes come from the reference (HF's decode, Python's unicodedata).
        const std::string decoded = m_tok->decode(got);
        QCOMPARE(sha256(decoded), g.value(QStringLiteral("decode_sha256")).toString());
        QCOMPARE(sha256(decoded), g.value(QStringLiteral("nfc_sha256")).toString());
    }

    void probesMatchHuggingFace() {
        const QJsonArray probes = golden().value(QStringLiteral("probes")).toArray();
        QVERIFY(probes.size() >= 40);
        for (const auto& v : probes) {
            const QJsonObject p = v.toObject();
            const QByteArray text = p.value(QStringLiteral("text")).toString().toUtf8();
            const ids_t want = toIds(p.value(QStringLiteral("ids")).toArray());
            const ids_t got = m_tok->encode(view(text));
            QVERIFY2(got == want, (text.toPercentEncoding() + ": " + describeDifference(*m_tok, got, want)).constData());
            QCOMPARE(QString::fromStdString(m_tok->decode(got)), p.value(QStringLiteral("decode")).toString());
        }
    }

    void nearMissesAreOrdinaryText() {
        for (const char* text : {"<end_of_sentence", "end_of_sentence>", "</end_of_sentence>", "<END_OF_SENTENCE>",
                                 "< end_of_sentence>", "<end_of_sentence >", "<pad", "<think>"}) {
            const ids_t ids = m_tok->encode(text);
            for (int32_t id : ids) QVERIFY2(!m_tok->is_special(id), text);
            QCOMPARE(m_tok->decode(ids), std::string(text));
        }
        // Special tokens are found anywhere, also inside words and back to back; the longest one wins.
        QCOMPARE(m_tok->encode("<<end_of_sentence>>"), (ids_t{m_tok->encode("<")[0], 200020, m_tok->encode(">")[0]}));
        QCOMPARE(m_tok->encode("<pad><pad>"), (ids_t{200000, 200000}));
    }

    void streamingDecodeHoldsBackIncompleteCharacters() {
        // Ids 0..255 are single bytes: push the three bytes of U+20AC one at a time.
        const unsigned char euro[] = {0xE2, 0x82, 0xAC};
        auto byteId = [&](unsigned char b) { return m_tok->token_id(m_tok->token_text(b)); };
        QCOMPARE(m_tok->token_bytes(byteId(0xE2)), std::string_view("\xE2"));
        m1::stream_decoder d(*m_tok);
        QCOMPARE(d.push(byteId(euro[0])), std::string());
        QCOMPARE(d.push(byteId(euro[1])), std::string());
        QCOMPARE(d.push(byteId(euro[2])), std::string("\xE2\x82\xAC"));
        QCOMPARE(d.push(byteId('a')), std::string("a"));
        QCOMPARE(d.finish(), std::string());

        // A byte that can never start a character is replaced at once; so is a sequence broken by a new start.
        m1::stream_decoder e(*m_tok);
        QCOMPARE(e.push(byteId(0xFF)), std::string("\xEF\xBF\xBD"));
        QCOMPARE(e.push(byteId(0xE2)), std::string());
        QCOMPARE(e.push(byteId('a')), std::string("\xEF\xBF\xBD" "a"));
        QCOMPARE(e.push(byteId(0xF0)), std::string());
        QCOMPARE(e.push(byteId(0x9F)), std::string());
        QCOMPARE(e.finish(), std::string("\xEF\xBF\xBD"));  // an unfinished tail is one U+FFFD
        QCOMPARE(e.finish(), std::string());

        // Real text: the stream, piece by piece, is always valid UTF-8 and adds up to decode().
        const QByteArray text = readAll(k_reference + QStringLiteral("/corpus/emoji.txt")).left(20000) +
                                readAll(k_reference + QStringLiteral("/corpus/cjk.txt")).left(20000);
        const ids_t ids = m_tok->encode(view(text));
        m1::stream_decoder s(*m_tok);
        std::string streamed;
        int held = 0;
        for (int32_t id : ids) {
            const std::string piece = s.push(id);
            QVERIFY(QString::fromUtf8(piece.data(), qsizetype(piece.size())).toUtf8() == QByteArray::fromStdString(piece));
            if (piece.empty()) ++held;
            streamed += piece;
        }
        streamed += s.finish();
        QCOMPARE(streamed, m_tok->decode(ids));
        QVERIFY(held > 0);  // the corpus does split characters across tokens
    }

    void invalidUtf8BecomesReplacementCharacters_data() {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QByteArray>("meaning");
        // Unicode's "maximal subpart" substitution (the Unicode Standard §3.9, Table 3-8 examples).
        QTest::newRow("lone FF") << QByteArray("a\xFF" "b") << QByteArray("a\xEF\xBF\xBD" "b");
        QTest::newRow("lone continuation") << QByteArray("\x80x") << QByteArray("\xEF\xBF\xBDx");
        QTest::newRow("overlong slash") << QByteArray("\xC0\xAF") << QByteArray("\xEF\xBF\xBD\xEF\xBF\xBD");
        QTest::newRow("surrogate") << QByteArray("\xED\xA0\x80z") << QByteArray("\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDz");
        QTest::newRow("truncated at end") << QByteArray("abc\xE2\x82") << QByteArray("abc\xEF\xBF\xBD");
        QTest::newRow("truncated inside") << QByteArray("\xF0\x9F\x98 ok") << QByteArray("\xEF\xBF\xBD ok");
        QTest::newRow("above U+10FFFF") << QByteArray("\xF4\x90\x80\x80") << QByteArray("\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
        QTest::newRow("before a special token") << QByteArray("\xFF<end_of_sentence>\xFE")
                                                << QByteArray("\xEF\xBF\xBD<end_of_sentence>\xEF\xBF\xBD");
    }
    void invalidUtf8BecomesReplacementCharacters() {
        QFETCH(QByteArray, bytes);
        QFETCH(QByteArray, meaning);
        QCOMPARE(m_tok->encode(view(bytes)), m_tok->encode(view(meaning)));
        QCOMPARE(m_tok->count(view(bytes)), m_tok->encode(view(meaning)).size());
        QCOMPARE(m_tok->decode(m_tok->encode(view(bytes))), std::string(view(meaning)));
    }

    void replacementCharacterIdsComeFromTheReference() {
        // HF's ids for "a\uFFFDb" (a probe): so invalid input has golden ids too.
        for (const auto& v : golden().value(QStringLiteral("probes")).toArray()) {
            const QJsonObject p = v.toObject();
            if (p.value(QStringLiteral("text")).toString() != QStringLiteral("a\uFFFDb")) continue;
            QCOMPARE(m_tok->encode("a\xFF" "b"), toIds(p.value(QStringLiteral("ids")).toArray()));
            return;
        }
        QFAIL("probe a\\uFFFDb missing from golden.json");
    }

    void decodeOfBrokenByteSequences() {
        auto byteId = [&](unsigned char b) { return m_tok->token_id(m_tok->token_text(b)); };
        QCOMPARE(m_tok->decode(ids_t{byteId(0xE2), byteId(0x82)}), std::string("\xEF\xBF\xBD"));
        QCOMPARE(m_tok->decode(ids_t{byteId(0xFF), byteId('x')}), std::string("\xEF\xBF\xBDx"));
        QCOMPARE(m_tok->decode(ids_t{-1, 200036, 1 << 30, byteId('y')}), std::string("y"));  // unknown ids: nothing
        QCOMPARE(m_tok->decode(ids_t{}), std::string());
    }

    void longRunsOfOneCharacter_data() {
        QTest::addColumn<QByteArray>("unit");
        for (const char* unit : {" ", "a", "\n", "=", "7", "\t ", "\xC3\xA9", "\xF0\x9F\x98\x80", "\xE6\xBC\xA2"})
            QTest::newRow(QByteArray(unit).toPercentEncoding().constData()) << QByteArray(unit);
    }
    void longRunsOfOneCharacter() {
        // 200 KB pieces: far past the piece cache and any regex stack; long_runs.txt checks the ids of shorter runs.
        QFETCH(QByteArray, unit);
        const QByteArray text = unit.repeated(200000 / unit.size());
        const ids_t ids = m_tok->encode(view(text));
        QVERIFY(!ids.empty());
        QVERIFY(ids.size() < size_t(text.size()));
        QCOMPARE(m_tok->count(view(text)), ids.size());
        QCOMPARE(m_tok->decode(ids), std::string(view(text)));
    }

    void encodesFromManyThreadsAtOnce() {
        const QStringList names = golden().value(QStringLiteral("files")).toObject().keys();
        std::vector<std::future<bool>> results;
        for (int round = 0; round < 2; ++round) {
            for (const QString& name : names) {
                results.push_back(std::async(std::launch::async, [this, name] {
                    const QByteArray text = readAll(k_reference + QStringLiteral("/corpus/") + name);
                    const ids_t want = readIds(k_reference + QStringLiteral("/golden/") + QFileInfo(name).completeBaseName() + QStringLiteral(".ids"));
                    return m_tok->encode(view(text)) == want && m_tok->count(view(text)) == want.size();
                }));
            }
        }
        for (auto& r : results) QVERIFY(r.get());
    }

    void refusesOtherModelsAndBadFiles_data() {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("expected");
        QTest::newRow("WordPiece") << QByteArray("{\"model\": {\"type\": \"WordPiece\", \"unk_token\": \"[UNK]\", \"vocab\": {\"[UNK]\": 0, \"a\": 1}}}")
                                   << QStringLiteral("model type \"WordPiece\" is not supported");
        QTest::newRow("Unigram") << QByteArray("{\"normalizer\": null, \"model\": {\"type\": \"Unigram\", \"unk_id\": 0, \"vocab\": [[\"<unk>\", 0.0], [\"a\", -1.5]]}}")
                                 << QStringLiteral("model type \"Unigram\" is not supported");
        QTest::newRow("malformed") << QByteArray("{\"model\": {\"type\": \"BPE\",\n  \"vocab\": {\"a\": 0,}}}")
                                   << QStringLiteral("not valid JSON: parse error at line 2, column");
        QTest::newRow("truncated") << QByteArray("{\"model\": {\"type\": \"BPE\"") << QStringLiteral("not valid JSON");
        QTest::newRow("not an object") << QByteArray("[1, 2]") << QStringLiteral("the top level is not a JSON object");
        QTest::newRow("no model") << QByteArray("{\"version\": \"1.0\"}") << QStringLiteral("there is no \"model\"");
        QTest::newRow("NFKC") << QByteArray("{\"normalizer\": {\"type\": \"NFKC\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": []}}")
                              << QStringLiteral("normalizer type \"NFKC\" is not supported");
        QTest::newRow("no byte level") << QByteArray("{\"pre_tokenizer\": {\"type\": \"Whitespace\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": []}}")
                                       << QStringLiteral("pre_tokenizer type \"Whitespace\" is not supported");
        QTest::newRow("bad regex") << QByteArray("{\"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"Regex\": \"(a\"}, \"behavior\": \"Isolated\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": []}}")
                                   << QStringLiteral("the pre-tokenizer regex does not compile at offset");
        QTest::newRow("merged with next") << QByteArray("{\"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"String\": \" \"}, \"behavior\": \"MergedWithNext\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": []}}")
                                          << QStringLiteral("Split behavior \"MergedWithNext\" is not supported");
        QTest::newRow("vocab value") << QByteArray("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": \"x\"}, \"merges\": []}}")
                                     << QStringLiteral("the vocab holds a string for \"a\" where an id (an integer) belongs");
        QTest::newRow("merge format") << QByteArray("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"abc\"]}}")
                                      << QStringLiteral("merge 0 \"abc\" is not two tokens separated by one space");
        QTest::newRow("merge pair") << QByteArray("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [[\"a\"]]}}")
                                    << QStringLiteral("merge 0 is not a pair of tokens");
        QTest::newRow("no merges") << QByteArray("{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}}}")
                                   << QStringLiteral("the model's merges are missing");
        QTest::newRow("vocab array") << QByteArray("{\"model\": {\"type\": \"BPE\", \"vocab\": [[\"a\", 0]], \"merges\": []}}")
                                     << QStringLiteral("the model's vocab is missing or not a JSON object");
        QTest::newRow("missing bytes") << QByteArray("{\"pre_tokenizer\": {\"type\": \"ByteLevel\", \"add_prefix_space\": false}, \"decoder\": {\"type\": \"ByteLevel\"}, \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}}")
                                       << QStringLiteral("the vocab has no token for byte 0x00");
    }
    void refusesOtherModelsAndBadFiles() {
        QFETCH(QByteArray, json);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("tokenizer.json"));
        QVERIFY(writeAll(path, json));
        try {
            m1::tokenizer::load(path.toStdString());
            QFAIL("loaded a tokenizer.json that should have been refused");
        } catch (const m1::tokenizer_error& e) {
            const QString what = QString::fromUtf8(e.what());
            QVERIFY2(what.startsWith(path + QStringLiteral(": ")), qPrintable(what));
            QVERIFY2(what.contains(expected), qPrintable(what));
        }
    }

    void missingFileNamesThePath() {
        try {
            m1::tokenizer::load("/nonexistent/dir/tokenizer.json");
            QFAIL("loaded a file that does not exist");
        } catch (const m1::tokenizer_error& e) {
            QCOMPARE(QString::fromUtf8(e.what()), QStringLiteral("/nonexistent/dir/tokenizer.json: cannot open the file"));
        }
    }

    void smallHandWrittenTokenizer_data() {
        QTest::addColumn<bool>("pairs");
        QTest::newRow("merges as \"a b\"") << false;
        QTest::newRow("merges as [a, b]") << true;
    }
    void smallHandWrittenTokenizer() {
        QFETCH(bool, pairs);
        // A byte-level BPE written here: 256 byte symbols, then merges "a b" -> 256, "ab c" -> 257, "Ġ ab" -> 258,
        // GPT-2's regex (ByteLevel use_regex) and a prefix space. Expected ids follow from the merges by hand.
        QJsonObject vocab;
        for (int b = 0; b < 256; ++b) vocab.insert(QString::fromStdString(m_tok->token_text(b)), b);
        vocab.insert(QStringLiteral("ab"), 256);
        vocab.insert(QStringLiteral("abc"), 257);
        vocab.insert(QStringLiteral("\u0120ab"), 258);
        const QJsonObject model{{QStringLiteral("type"), QStringLiteral("BPE")}, {QStringLiteral("vocab"), vocab},
            {QStringLiteral("merges"), pairs ? QJsonArray{QJsonArray{QStringLiteral("a"), QStringLiteral("b")},
                                                          QJsonArray{QStringLiteral("ab"), QStringLiteral("c")},
                                                          QJsonArray{QStringLiteral("\u0120"), QStringLiteral("ab")}}
                                             : QJsonArray{QStringLiteral("a b"), QStringLiteral("ab c"), QStringLiteral("\u0120 ab")}}};
        const QJsonObject root{
            {QStringLiteral("added_tokens"), QJsonArray{QJsonObject{{QStringLiteral("id"), 300}, {QStringLiteral("content"), QStringLiteral("<s>")},
                                                                    {QStringLiteral("special"), true}}}},
            {QStringLiteral("pre_tokenizer"), QJsonObject{{QStringLiteral("type"), QStringLiteral("ByteLevel")}, {QStringLiteral("add_prefix_space"), true}}},
            {QStringLiteral("decoder"), QJsonObject{{QStringLiteral("type"), QStringLiteral("ByteLevel")}}},
            {QStringLiteral("model"), model}};
        const auto tok = m1::tokenizer::from_json(view(QJsonDocument(root).toJson()), "hand-written");
        QCOMPARE(tok->size(), size_t(301));

        // Both tokenizers cache the piece " ab" in this thread's cache; neither may see the other's ids.
        const ids_t m1Ids = m_tok->encode(" ab ab");
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(tok->encode(" ab ab"), (ids_t{258, 258}));
            QCOMPARE(m_tok->encode(" ab ab"), m1Ids);
        }
        QVERIFY(m1Ids != (ids_t{258, 258}));
        QVERIFY(tok->is_special(300));
        QVERIFY(!tok->is_special(299));
        QCOMPARE(tok->encode("abc"), (ids_t{32, 257}));       // prefix space: " abc" -> 'Ġ' + "abc" (rank 1 beats rank 2)
        QCOMPARE(tok->encode("ab ab"), (ids_t{258, 258}));    // " ab", " ab"
        QCOMPARE(tok->encode("<s>ab"), (ids_t{300, 258}));
        QCOMPARE(tok->encode("aab"), (ids_t{32, 'a', 256}));  // " aab": only (a, b) merges
        QCOMPARE(tok->decode(tok->encode("<s>ab")), std::string("<s> ab"));
    }

    void splitBehaviours_data() {
        QTest::addColumn<QString>("behaviour");
        QTest::addColumn<bool>("invert");
        QTest::addColumn<ids_t>("ids");
        // "ab-ab" split at "-": HF's SplitDelimiterBehavior. With (a, b) -> 256 the pieces show where the cuts were.
        QTest::newRow("Removed") << QStringLiteral("Removed") << false << ids_t{256, 256};
        QTest::newRow("Isolated") << QStringLiteral("Isolated") << false << ids_t{256, '-', 256};
        QTest::newRow("Removed, invert") << QStringLiteral("Removed") << true << ids_t{'-'};
        QTest::newRow("Isolated, invert") << QStringLiteral("Isolated") << true << ids_t{256, '-', 256};
    }
    void splitBehaviours() {
        QFETCH(QString, behaviour);
        QFETCH(bool, invert);
        QFETCH(ids_t, ids);
        QJsonObject vocab;
        for (int b = 0; b < 256; ++b) vocab.insert(QString::fromStdString(m_tok->token_text(b)), b);
        vocab.insert(QStringLiteral("ab"), 256);
        const QJsonObject split{{QStringLiteral("type"), QStringLiteral("Split")},
                                {QStringLiteral("pattern"), QJsonObject{{QStringLiteral("String"), QStringLiteral("-")}}},
                                {QStringLiteral("behavior"), behaviour}, {QStringLiteral("invert"), invert}};
        const QJsonObject byteLevel{{QStringLiteral("type"), QStringLiteral("ByteLevel")}, {QStringLiteral("add_prefix_space"), false},
                                    {QStringLiteral("use_regex"), false}};
        const QJsonObject root{
            {QStringLiteral("pre_tokenizer"), QJsonObject{{QStringLiteral("type"), QStringLiteral("Sequence")},
                                                          {QStringLiteral("pretokenizers"), QJsonArray{split, byteLevel}}}},
            {QStringLiteral("decoder"), QJsonObject{{QStringLiteral("type"), QStringLiteral("ByteLevel")}}},
            {QStringLiteral("model"), QJsonObject{{QStringLiteral("type"), QStringLiteral("BPE")}, {QStringLiteral("vocab"), vocab},
                                                  {QStringLiteral("merges"), QJsonArray{QStringLiteral("a b")}}}}};
        const auto tok = m1::tokenizer::from_json(view(QJsonDocument(root).toJson()), "split");
        QCOMPARE(tok->encode("ab-ab"), ids);
        QCOMPARE(tok->encode("abab"), (invert && behaviour == QStringLiteral("Removed")) ? ids_t{} : (ids_t{256, 256}));
    }

    void repeatedMergeTakesItsLastRank() {
        // HF builds its merge map by inserting the merges in order, so a pair listed twice keeps its last rank:
        // with ["a b", "b c", "a b"], (b, c) outranks (a, b) and "abc" becomes a + bc.
        QJsonObject vocab;
        for (int b = 0; b < 256; ++b) vocab.insert(QString::fromStdString(m_tok->token_text(b)), b);
        vocab.insert(QStringLiteral("ab"), 256);
        vocab.insert(QStringLiteral("bc"), 257);
        const QJsonObject root{
            {QStringLiteral("pre_tokenizer"), QJsonObject{{QStringLiteral("type"), QStringLiteral("ByteLevel")},
                                                          {QStringLiteral("add_prefix_space"), false}, {QStringLiteral("use_regex"), false}}},
            {QStringLiteral("decoder"), QJsonObject{{QStringLiteral("type"), QStringLiteral("ByteLevel")}}},
            {QStringLiteral("model"), QJsonObject{{QStringLiteral("type"), QStringLiteral("BPE")}, {QStringLiteral("vocab"), vocab},
                                                  {QStringLiteral("merges"), QJsonArray{QStringLiteral("a b"), QStringLiteral("b c"), QStringLiteral("a b")}}}}};
        const auto tok = m1::tokenizer::from_json(view(QJsonDocument(root).toJson()), "repeated merge");
        QCOMPARE(tok->encode("abc"), (ids_t{'a', 257}));
        QCOMPARE(tok->encode("ab"), (ids_t{256}));
    }
};

QTEST_GUILESS_MAIN(TestTokenizer)
#include "tst_tokenizer.moc"
