// engine/chat/chat_format and python_json against prompts rendered by transformers' apply_chat_template
// (tests/reference/chat/make_golden.py), and `m1 chat-format` end to end.
#include "engine/chat/chat_format.h"
#include "engine/chat/python_json.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include "tests/common/m1_process.h"
#include "tests/common/test_files.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <cstdlib>
#include <limits>

namespace {

const QString k_reference = QStringLiteral(M1_SOURCE_DIR "/tests/reference/chat");

using m1test::readAll;
using m1test::writeAll;

QStringList conversationNames() {
    QStringList names;
    for (const QFileInfo& fi : QDir(k_reference + QStringLiteral("/conversations"))
                                   .entryInfoList({QStringLiteral("*.json")}, QDir::Files, QDir::Name))
        names << fi.completeBaseName();
    return names;
}

m1::chat_conversation loadConversation(const QString& name) {
    const QByteArray json = readAll(k_reference + QStringLiteral("/conversations/") + name + QStringLiteral(".json"));
    return m1::chat_conversation_from_json(nlohmann::ordered_json::parse(json.toStdString()));
}

// Where two byte strings first differ, with some context, so a failure says what to look at.
QByteArray firstDifference(const QByteArray& got, const QByteArray& want) {
    qsizetype i = 0;
    while (i < got.size() && i < want.size() && got[i] == want[i]) ++i;
    const qsizetype from = std::max<qsizetype>(0, i - 40);
    return "first difference at byte " + QByteArray::number(i) + "\n got: " + got.mid(from, 80).toPercentEncoding(" <>/=_:.,'{}[]") +
           "\nwant: " + want.mid(from, 80).toPercentEncoding(" <>/=_:.,'{}[]");
}


}  // namespace

class TestChatFormat : public QObject {
    Q_OBJECT
private slots:
    void referenceIsComplete() {
        const QStringList names = conversationNames();
        QVERIFY2(names.size() >= 12, qPrintable(QString::number(names.size())));
        for (const QString& n : names) {
            QVERIFY2(QFile::exists(k_reference + QStringLiteral("/golden/") + n + QStringLiteral(".txt")), qPrintable(n));
            QVERIFY2(QFile::exists(k_reference + QStringLiteral("/golden/") + n + QStringLiteral(".nogen.txt")), qPrintable(n));
        }
    }

    // The golden prompts were rendered from ../shared's template; a changed template needs new golden files.
    void sharedTemplateIsTheGoldenOne() {
        const QString config = QStringLiteral(M1_SHARED_DIR "/models/minimax-m1/tokenizer_config.json");
        if (!QFile::exists(config)) QSKIP("../shared is not present");
        const QJsonObject obj = QJsonDocument::fromJson(readAll(config)).object();
        const QByteArray tmpl = obj.value(QStringLiteral("chat_template")).toString().toUtf8();
        QVERIFY(!tmpl.isEmpty());
        const QByteArray digest = QCryptographicHash::hash(tmpl, QCryptographicHash::Sha256).toHex();
        QCOMPARE(digest, readAll(k_reference + QStringLiteral("/golden/chat_template.sha256")).trimmed());
    }

    void rendersLikeTransformers_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<bool>("generationPrompt");
        for (const QString& n : conversationNames()) {
            QTest::newRow(qPrintable(n)) << n << true;
            QTest::newRow(qPrintable(n + QStringLiteral(" (no generation prompt)"))) << n << false;
        }
    }

    void rendersLikeTransformers() {
        QFETCH(QString, name);
        QFETCH(bool, generationPrompt);
        const QByteArray want = readAll(k_reference + QStringLiteral("/golden/") + name +
                                        (generationPrompt ? QStringLiteral(".txt") : QStringLiteral(".nogen.txt")));
        const std::string rendered = m1::render_chat(loadConversation(name), generationPrompt);
        const QByteArray got = QByteArray::fromStdString(rendered);
        QVERIFY2(got == want, firstDifference(got, want).constData());
    }

    // Python's repr(float) for values whose text is fixed by the language (docs.python.org, "repr" of float).
    void pythonFloatRepr_data() {
        QTest::addColumn<double>("value");
        QTest::addColumn<QString>("expected");
        QTest::newRow("0.1") << 0.1 << QStringLiteral("0.1");
        QTest::newRow("1.0") << 1.0 << QStringLiteral("1.0");
        QTest::newRow("zero") << 0.0 << QStringLiteral("0.0");
        QTest::newRow("negative zero") << -0.0 << QStringLiteral("-0.0");
        QTest::newRow("1e15 positional") << 1e15 << QStringLiteral("1000000000000000.0");
        QTest::newRow("1e16 exponent") << 1e16 << QStringLiteral("1e+16");
        QTest::newRow("1e22") << 1e22 << QStringLiteral("1e+22");
        QTest::newRow("1e-4 positional") << 1e-4 << QStringLiteral("0.0001");
        QTest::newRow("1e-5 exponent") << 1e-5 << QStringLiteral("1e-05");
        QTest::newRow("2.5e-05") << 2.5e-05 << QStringLiteral("2.5e-05");
        QTest::newRow("0.1+0.2") << 0.1 + 0.2 << QStringLiteral("0.30000000000000004");
        QTest::newRow("123456789.0") << 123456789.0 << QStringLiteral("123456789.0");
        QTest::newRow("-1.5") << -1.5 << QStringLiteral("-1.5");
        QTest::newRow("2^53") << 9007199254740992.0 << QStringLiteral("9007199254740992.0");
        QTest::newRow("max") << 1.7976931348623157e308 << QStringLiteral("1.7976931348623157e+308");
        QTest::newRow("denormal min") << 5e-324 << QStringLiteral("5e-324");
        QTest::newRow("1/3") << 1.0 / 3.0 << QStringLiteral("0.3333333333333333");
        QTest::newRow("nan") << std::nan("") << QStringLiteral("NaN");
        QTest::newRow("-inf") << -std::numeric_limits<double>::infinity() << QStringLiteral("-Infinity");
    }

    void pythonFloatRepr() {
        QFETCH(double, value);
        QFETCH(QString, expected);
        QCOMPARE(QString::fromStdString(m1::python_float_repr(value)), expected);
    }

    // Thousands of doubles over the whole range against Python's own repr (make_json_golden.py).
    void pythonFloatReprMatchesPython() {
        const QList<QByteArray> lines = readAll(k_reference + QStringLiteral("/golden/float_repr.tsv")).split('\n');
        int checked = 0, wrong = 0;
        QByteArray firstWrong;
        for (const QByteArray& line : lines) {
            if (line.isEmpty()) continue;
            const qsizetype tab = line.indexOf('\t');
            QVERIFY(tab > 0);
            const double value = std::strtod(line.left(tab).constData(), nullptr);  // C99 hex float: exact
            const std::string got = m1::python_float_repr(value);
            if (QByteArray::fromStdString(got) != line.mid(tab + 1)) {
                if (++wrong == 1) firstWrong = line + " -> " + QByteArray::fromStdString(got);
            }
            ++checked;
        }
        QVERIFY(checked > 7000);
        QVERIFY2(wrong == 0, (QByteArray::number(wrong) + " wrong, first: " + firstWrong).constData());
    }

    void pythonJsonDumpsMatchesPython() {
        const auto values = nlohmann::ordered_json::parse(
            readAll(k_reference + QStringLiteral("/golden/json_values.json")).toStdString());
        const QList<QByteArray> want = readAll(k_reference + QStringLiteral("/golden/json_dumps.txt")).split('\n');
        QVERIFY(values.is_array() && values.size() >= 10);
        QCOMPARE(qsizetype(values.size()) + 1, want.size());  // one line each, then the final newline
        for (size_t i = 0; i < values.size(); ++i) {
            const QByteArray got = QByteArray::fromStdString(m1::python_json_dumps(values[i]));
            QVERIFY2(got == want[qsizetype(i)], firstDifference(got, want[qsizetype(i)]).constData());
        }
    }

    void pythonJsonDumps() {
        // json.dumps({"a": [1, 2.0, True, None, "x"], "é": {}, "b": []}, ensure_ascii=False)
        const auto doc = nlohmann::ordered_json::parse(R"({"a": [1, 2.0, true, null, "x"], "é": {}, "b": [], "n": -7})");
        QCOMPARE(QString::fromStdString(m1::python_json_dumps(doc)),
                 QStringLiteral("{\"a\": [1, 2.0, true, null, \"x\"], \"é\": {}, \"b\": [], \"n\": -7}"));
        // Escapes: named ones, \u00XX (lowercase) for other controls, raw DEL and non-ASCII.
        const std::string s = std::string("q\"b\\s/\b\f\n\r\t\x01\x1f\x7f") + "\xe2\x80\xa8" + "日";
        QCOMPARE(m1::python_json_dumps(nlohmann::ordered_json(s)),
                 std::string("\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f") + "\xe2\x80\xa8" + "日\"");
        QCOMPARE(m1::python_json_dumps(nlohmann::ordered_json::parse("18446744073709551615")),
                 std::string("18446744073709551615"));
        QCOMPARE(m1::python_json_dumps(nlohmann::ordered_json::parse("-9223372036854775808")),
                 std::string("-9223372036854775808"));
    }

    void refusesWhatTheTemplateCannotRender_data() {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown role") << QByteArray(R"([{"role": "user", "content": "a"}, {"role": "developer", "content": "x"}])")
                                      << QStringLiteral("message 2: unknown role \"developer\"");
        QTest::newRow("no role") << QByteArray(R"([{"content": "x"}])") << QStringLiteral("message 1: has no \"role\"");
        QTest::newRow("user without content") << QByteArray(R"([{"role": "user", "content": []}])")
                                              << QStringLiteral("message 1 (user): has no content");
        QTest::newRow("tool without name") << QByteArray(R"([{"role": "tool", "content": "42"}])")
                                           << QStringLiteral("message 1 (tool), part 1: a tool result needs the tool's name");
        QTest::newRow("image first") << QByteArray(R"([{"role": "user", "content": [{"type": "image"}]}])")
                                     << QStringLiteral("message 1 (user): its first part is of type \"image\"");
        QTest::newRow("content number") << QByteArray(R"([{"role": "user", "content": 5}])")
                                        << QStringLiteral("message 1 (user): \"content\" must be");
        QTest::newRow("text part without text") << QByteArray(R"([{"role": "user", "content": [{"type": "text"}]}])")
                                                << QStringLiteral("message 1 (user), part 1: a text part has no \"text\"");
        QTest::newRow("tool not an object") << QByteArray(R"({"messages": [], "tools": ["get_weather"]})")
                                            << QStringLiteral("tool 1: is not a JSON object");
        QTest::newRow("not a list") << QByteArray(R"("hello")") << QStringLiteral("must be a JSON array");
    }

    void refusesWhatTheTemplateCannotRender() {
        QFETCH(QByteArray, json);
        QFETCH(QString, message);
        try {
            const auto conv = m1::chat_conversation_from_json(nlohmann::ordered_json::parse(json.toStdString()));
            (void)m1::render_chat(conv);
            QFAIL("no error");
        } catch (const m1::chat_format_error& e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(message), e.what());
        }
    }

    void toolNameMayBeEmptyButNotAbsent() {
        // The template only needs the key: an empty name renders as "tool name: \n".
        const auto conv = m1::chat_conversation_from_json(
            nlohmann::ordered_json::parse(R"([{"role": "tool", "name": "", "content": "r"}])"));
        QCOMPARE(QString::fromStdString(m1::render_chat(conv, false)),
                 QStringLiteral("<begin_of_document><beginning_of_sentence>tool name=tools\ntool name: \ntool result: r\n\n"
                                "<end_of_sentence>\n"));
    }

    // ---- m1 chat-format, end to end ----

    void cliPrintsTheGoldenPrompt_data() { rendersLikeTransformers_data(); }

    void cliPrintsTheGoldenPrompt() {
        QFETCH(QString, name);
        QFETCH(bool, generationPrompt);
        QStringList args{QStringLiteral("chat-format"), QStringLiteral("--messages"),
                         k_reference + QStringLiteral("/conversations/") + name + QStringLiteral(".json")};
        if (!generationPrompt) args << QStringLiteral("--no-generation-prompt");
        const m1test::M1Run r = m1test::runM1(args);
        QVERIFY2(r.code == 0, r.errBytes.constData());
        QVERIFY(r.errBytes.isEmpty());
        const QByteArray want = readAll(k_reference + QStringLiteral("/golden/") + name +
                                        (generationPrompt ? QStringLiteral(".txt") : QStringLiteral(".nogen.txt")));
        QVERIFY2(r.outBytes == want, firstDifference(r.outBytes, want).constData());
    }

    void cliReadsToolsFromTheirOwnFile() {
        // Split a conversation with tools into a messages array and a tools array; the prompt must not change.
        const QString name = QStringLiteral("06_tools_nested_unicode");
        const auto doc = nlohmann::ordered_json::parse(
            readAll(k_reference + QStringLiteral("/conversations/") + name + QStringLiteral(".json")).toStdString());
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString messages = dir.filePath(QStringLiteral("messages.json"));
        const QString tools = dir.filePath(QStringLiteral("tools.json"));
        QVERIFY(writeAll(messages, QByteArray::fromStdString(doc["messages"].dump())));
        QVERIFY(writeAll(tools, QByteArray::fromStdString(doc["tools"].dump())));
        const m1test::M1Run r = m1test::runM1({QStringLiteral("chat-format"), QStringLiteral("--messages"), messages,
                             QStringLiteral("--tools"), tools});
        QVERIFY2(r.code == 0, r.errBytes.constData());
        const QByteArray want = readAll(k_reference + QStringLiteral("/golden/") + name + QStringLiteral(".txt"));
        QVERIFY2(r.outBytes == want, firstDifference(r.outBytes, want).constData());
    }

    void cliErrorsNameTheFile() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString missing = dir.filePath(QStringLiteral("missing.json"));
        m1test::M1Run r = m1test::runM1({QStringLiteral("chat-format"), QStringLiteral("--messages"), missing});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.errBytes.contains((missing + QStringLiteral(": cannot open")).toUtf8()), r.errBytes.constData());
        QVERIFY(r.outBytes.isEmpty());

        const QString broken = dir.filePath(QStringLiteral("broken.json"));
        QVERIFY(writeAll(broken, "[{\"role\": \"user\",\n \"content\": }]"));
        r = m1test::runM1({QStringLiteral("chat-format"), QStringLiteral("--messages"), broken});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.errBytes.contains((broken + QStringLiteral(": not valid JSON: parse error at line 2")).toUtf8()),
                 r.errBytes.constData());

        const QString badRole = dir.filePath(QStringLiteral("role.json"));
        QVERIFY(writeAll(badRole, R"([{"role": "narrator", "content": "x"}])"));
        r = m1test::runM1({QStringLiteral("chat-format"), QStringLiteral("--messages"), badRole});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.errBytes.contains((badRole + QStringLiteral(": message 1: unknown role \"narrator\"")).toUtf8()),
                 r.errBytes.constData());

        const QString badTools = dir.filePath(QStringLiteral("tools.json"));
        QVERIFY(writeAll(badTools, R"({"name": "not a list"})"));
        r = m1test::runM1({QStringLiteral("chat-format"), QStringLiteral("--messages"),
                   k_reference + QStringLiteral("/conversations/01_minimal_user.json"), QStringLiteral("--tools"), badTools});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.errBytes.contains((badTools + QStringLiteral(": has no \"tools\" list")).toUtf8()), r.errBytes.constData());
    }

    void cliUsageErrors() {
        m1test::M1Run r = m1test::runM1({QStringLiteral("chat-format")});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.errBytes.contains("--messages"), r.errBytes.constData());
        r = m1test::runM1({QStringLiteral("chat-format"), QStringLiteral("--messages")});
        QCOMPARE(r.code, 2);
        r = m1test::runM1({QStringLiteral("chat-format"), QStringLiteral("--help")});
        QCOMPARE(r.code, 0);
        QVERIFY(r.outBytes.startsWith("usage: m1 chat-format"));
    }
};

QTEST_GUILESS_MAIN(TestChatFormat)
#include "tst_chat_format.moc"
