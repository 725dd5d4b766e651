// The OpenAI stream reader (the client half, used by RemoteBackend) against transcripts written from vLLM's
// documented format (tests/reference/openai), and against m1 serve's own chunks (ResponseBuilder) for the same
// model text: all three must give the same reasoning / answer / tool-call events.
#include "app/server/ChatStreamReader.h"
#include "app/server/ResponseBuilder.h"
#include "stream_events.h"

#include <QFile>
#include <QtTest>

using m1::app::ChatStreamReader;
using m1::app::ResponseBuilder;

namespace {

QByteArray readReference(const QString& name) {
    QFile f(QStringLiteral(M1_SOURCE_DIR "/tests/reference/openai/") + name);
    if (!f.open(QIODevice::ReadOnly)) qFatal("cannot read %s", qPrintable(f.fileName()));
    return f.readAll();
}

// Feeds SSE bytes in pieces of n bytes; returns the M1 text deltas, or fails the test on a reader error.
std::vector<std::string> readStream(const std::string& sse, size_t n, ChatStreamReader& reader, bool* ok) {
    std::vector<std::string> deltas;
    *ok = true;
    for (const std::string& piece : piecesOf(sse, n))
        if (!reader.feed(piece, &deltas)) *ok = false;
    if (*ok && !reader.finish(&deltas)) *ok = false;
    return deltas;
}

// m1 serve's stream of `text` (fed to the builder in pieces of n bytes), as SSE.
std::string serverStream(const std::string& text, size_t n, bool includeUsage) {
    ResponseBuilder b(ResponseBuilder::Kind::Chat, "chatcmpl-test", 1750000000, "m1");
    std::string sse;
    for (const auto& c : b.start()) sse += ResponseBuilder::sse(c);
    for (const std::string& piece : piecesOf(text, n))
        for (const auto& c : b.feed(piece)) sse += ResponseBuilder::sse(c);
    for (const auto& c : b.finish(false, {10, 20}, includeUsage)) sse += ResponseBuilder::sse(c);
    return sse + ResponseBuilder::sseDone();
}

}  // namespace

class TestOpenAiStream : public QObject {
    Q_OBJECT
private slots:
    void transcriptsMatchTheModelText_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("finishReason");
        QTest::addColumn<qint64>("promptTokens");
        QTest::addColumn<qint64>("completionTokens");
        QTest::newRow("vllm reasoning") << "vllm_reasoning"
                                        << "stop" << qint64(41) << qint64(29);
        QTest::newRow("vllm tool calls") << "vllm_tool_calls"
                                         << "tool_calls" << qint64(212) << qint64(59);
        QTest::newRow("raw think in content") << "raw_think"
                                              << "stop" << qint64(-1) << qint64(-1);
        QTest::newRow("raw tool calls in content") << "raw_tool_calls"
                                                   << "stop" << qint64(-1) << qint64(-1);
    }
    void transcriptsMatchTheModelText() {
        QFETCH(QString, name);
        QFETCH(QString, finishReason);
        QFETCH(qint64, promptTokens);
        QFETCH(qint64, completionTokens);
        const std::string sse = readReference(name + ".sse").toStdString();
        const std::string text = readReference(name + ".m1.txt").toStdString();
        const QStringList expected = parsedEvents({text});
        QVERIFY(expected.size() >= 2);

        for (size_t n : {size_t(1), size_t(7), size_t(64), sse.size()}) {
            ChatStreamReader reader;
            bool ok = false;
            const std::vector<std::string> deltas = readStream(sse, n, reader, &ok);
            QVERIFY2(ok, reader.error().c_str());
            QCOMPARE(parsedEvents(deltas), expected);
            QCOMPARE(QString::fromStdString(reader.finishReason()), finishReason);
            QVERIFY(reader.sawDone());
            QCOMPARE(reader.hasUsage(), promptTokens >= 0);
            if (promptTokens >= 0) {
                QCOMPARE(reader.promptTokens(), promptTokens);
                QCOMPARE(reader.completionTokens(), completionTokens);
            }
        }

        // m1 serve's own stream of the same text reads back to the same events.
        for (size_t n : {size_t(1), size_t(5), text.size()}) {
            ChatStreamReader reader;
            bool ok = false;
            const std::vector<std::string> deltas = readStream(serverStream(text, n, true), 3, reader, &ok);
            QVERIFY2(ok, reader.error().c_str());
            QCOMPARE(parsedEvents(deltas), expected);
            QCOMPARE(reader.completionTokens(), qint64(20));
        }
    }

    // The events spelled out, so the comparison above cannot pass by both sides being empty or wrong alike.
    void eventsAreTheOnesWritten() {
        const QStringList reasoning = parsedEvents({readReference("vllm_reasoning.m1.txt").toStdString()});
        QCOMPARE(reasoning, QStringList({"reasoning: Compare the digits after the point: 0.8 is more than 0.11.",
                                         "answer: 9.8 is greater than 9.11."}));
        const QStringList tools = parsedEvents({readReference("vllm_tool_calls.m1.txt").toStdString()});
        QCOMPARE(tools,
                 QStringList({"reasoning: The user asks for the weather and the time in Paris; call both tools.",
                              "answer: Let me look that up.", R"(tool: get_weather {"city":"Paris","unit":"celsius"})",
                              R"(tool: get_time {"timezone":"Europe/Paris"})"}));
    }

    void malformedStreamsAreRefused_data() {
        QTest::addColumn<QByteArray>("sse");
        QTest::addColumn<QString>("message");
        QTest::newRow("not json") << QByteArray("data: {\"choices\": [\n\n") << "not a JSON object";
        QTest::newRow("html page") << QByteArray("<html><body>Bad gateway</body></html>\n") << "unexpected line";
        QTest::newRow("cut short") << QByteArray(
                                          "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n")
                                   << "ended before";
        QTest::newRow("error object") << QByteArray("data: {\"error\":{\"message\":\"out of memory\"}}\n\n")
                                      << "out of memory";
    }
    void malformedStreamsAreRefused() {
        QFETCH(QByteArray, sse);
        QFETCH(QString, message);
        ChatStreamReader reader;
        std::vector<std::string> deltas;
        const bool ok = reader.feed(sse.toStdString(), &deltas) && reader.finish(&deltas);
        QVERIFY(!ok);
        QVERIFY2(QString::fromStdString(reader.error()).contains(message), reader.error().c_str());
    }
};

QTEST_GUILESS_MAIN(TestOpenAiStream)
#include "tst_openai_stream.moc"
