// RemoteBackend against real sockets: small cpp-httplib servers in this process that refuse, fail, send malformed
// streams, stall, or replay a vLLM transcript.
#include "app/backends/RemoteBackend.h"
#include "engine/chat/chat_format.h"
#include "engine/tokenizer/tokenizer.h"
#include "stream_events.h"
#include "test_http_server.h"

#include <csignal>

#include <QElapsedTimer>
#include <QFile>
#include <QtTest>

using json = nlohmann::ordered_json;
using namespace m1::app;

namespace {

QString sharedDir() {
    const QByteArray env = qgetenv("M1_SHARED_DIR");
    return env.isEmpty() ? QStringLiteral(M1_SHARED_DIR) : QString::fromLocal8Bit(env);
}

const char* kSseContentType = "text/event-stream";

std::string chunk(const json& delta, const json& finish = nullptr) {
    json c{{"id", "chatcmpl-t"},
           {"object", "chat.completion.chunk"},
           {"created", 1},
           {"model", "m"},
           {"choices", json::array({json{{"index", 0}, {"delta", delta}, {"finish_reason", finish}}})}};
    return "data: " + c.dump() + "\n\n";
}

struct Outcome {
    bool ok = false;
    QString error;
    GenerationStats stats;
    std::vector<std::string> deltas;
    double seconds = 0;
};

}  // namespace

class TestRemoteBackend : public QObject {
    Q_OBJECT

    RemoteSettings settingsFor(const std::string& url) {
        RemoteSettings s;
        s.url = url;
        s.modelName = "m";
        s.tokenizerPath = (sharedDir() + "/models/minimax-m1/tokenizer.json").toStdString();
        s.connectTimeoutS = 2;
        s.readTimeoutS = 20;
        s.maxRetries = 2;
        s.firstBackoffS = 0.05;
        return s;
    }

    // The real MiniMax-M1 tokenizer, loaded once for all the backends of this suite.
    std::shared_ptr<const m1::tokenizer> m_tokenizer;

    std::unique_ptr<RemoteBackend> open(const RemoteSettings& s) {
        QString error;
        std::unique_ptr<RemoteBackend> b = RemoteBackend::open(s, m_tokenizer, &error);
        if (!b) qWarning("%s", qPrintable(error));
        return b;
    }

    Outcome ask(RemoteBackend& b, const std::atomic<bool>& cancel) {
        Outcome o;
        GenerationCallbacks cb;
        cb.text = [&](const std::string& d) {
            o.deltas.push_back(d);
            return true;
        };
        SamplingSettings sampling;
        sampling.maxOutputTokens = 64;
        QElapsedTimer t;
        t.start();
        QString e;
        b.preparePrefix(b.tokenizer().encode("<begin_of_document><beginning_of_sentence>system ai_setting=assistant\n"
                                             "Be brief.<end_of_sentence>\n"),
                        {}, cancel, &e);
        o.ok = b.generate("<beginning_of_sentence>user name=user\nHi<end_of_sentence>\n"
                          "<beginning_of_sentence>ai name=assistant\n",
                          sampling, cb, cancel, &o.stats, &o.error);
        o.seconds = t.elapsed() / 1000.0;
        return o;
    }

private slots:
    void initTestCase() {
        std::signal(SIGPIPE, SIG_IGN);
        m_tokenizer = m1::tokenizer::load(settingsFor("").tokenizerPath);
    }

    void nothingListening() {
        auto b = open(settingsFor("http://127.0.0.1:" + std::to_string(unusedPort())));
        QVERIFY(b);
        std::atomic<bool> cancel{false};
        const Outcome o = ask(*b, cancel);
        QVERIFY(!o.ok);
        QVERIFY2(o.error.contains("cannot connect") && o.error.contains("after 3 attempts"), qPrintable(o.error));
        QVERIFY(o.seconds >= 0.14);  // backoff 0.05 + 0.1 s between the attempts
        QVERIFY(o.deltas.empty());
    }

    void retriesBeforeTheFirstByte() {
        TestHttpServer server;
        server.http.Post("/v1/chat/completions", [&](const httplib::Request&, httplib::Response& res) {
            if (++server.requests == 1) {
                res.status = 503;
                res.set_content(R"({"error": {"message": "warming up"}})", "application/json");
                return;
            }
            res.set_content(chunk({{"role", "assistant"}, {"content", ""}}) + chunk({{"content", "Hello"}}) +
                                chunk(json::object(), "stop") + "data: [DONE]\n\n",
                            kSseContentType);
        });
        QVERIFY(server.start());
        auto b = open(settingsFor(server.url()));
        QVERIFY(b);
        std::atomic<bool> cancel{false};
        const Outcome o = ask(*b, cancel);
        QVERIFY2(o.ok, qPrintable(o.error));
        QCOMPARE(server.requests.load(), 2);
        QCOMPARE(parsedEvents(o.deltas), QStringList({"answer: Hello"}));
        QVERIFY(o.stats.stoppedAtEnd);
    }

    void serverError500IsReportedNotRetried() {
        TestHttpServer server;
        server.http.Post("/v1/chat/completions", [&](const httplib::Request&, httplib::Response& res) {
            ++server.requests;
            res.status = 500;
            res.set_content(R"({"error": {"message": "engine exploded", "type": "server_error"}})", "application/json");
        });
        QVERIFY(server.start());
        auto b = open(settingsFor(server.url()));
        std::atomic<bool> cancel{false};
        const Outcome o = ask(*b, cancel);
        QVERIFY(!o.ok);
        QVERIFY2(o.error.contains("HTTP 500") && o.error.contains("engine exploded"), qPrintable(o.error));
        QVERIFY(o.error.contains(QString::fromStdString(server.url())));
        QCOMPARE(server.requests.load(), 1);
    }

    void malformedSse() {
        TestHttpServer server;
        server.http.Post("/v1/chat/completions", [&](const httplib::Request&, httplib::Response& res) {
            res.set_content(chunk({{"content", "partial "}}) + "data: {\"choices\": [oops\n\n", kSseContentType);
        });
        QVERIFY(server.start());
        auto b = open(settingsFor(server.url()));
        std::atomic<bool> cancel{false};
        const Outcome o = ask(*b, cancel);
        QVERIFY(!o.ok);
        QVERIFY2(o.error.contains("malformed"), qPrintable(o.error));
        QCOMPARE(parsedEvents(o.deltas), QStringList({"answer: partial "}));  // what came before is delivered
    }

    void wrongKeyIs401() {
        TestHttpServer server;
        server.http.Post("/v1/chat/completions", [&](const httplib::Request& req, httplib::Response& res) {
            if (req.get_header_value("Authorization") != "Bearer right") {
                res.status = 401;
                res.set_content(R"({"error": {"message": "Incorrect API key provided."}})", "application/json");
                return;
            }
            res.set_content(chunk({{"content", "ok"}}, "stop") + "data: [DONE]\n\n", kSseContentType);
        });
        QVERIFY(server.start());
        RemoteSettings s = settingsFor(server.url());
        s.apiKey = "wrong";
        std::atomic<bool> cancel{false};
        Outcome o = ask(*open(s), cancel);
        QVERIFY(!o.ok);
        QVERIFY2(o.error.contains("HTTP 401") && o.error.contains("Incorrect API key"), qPrintable(o.error));
        s.apiKey = "right";
        o = ask(*open(s), cancel);
        QVERIFY2(o.ok, qPrintable(o.error));
    }

    void stallCancelsWithinASecond_data() {
        QTest::addColumn<bool>("afterFirstByte");
        QTest::newRow("before the headers") << false;
        QTest::newRow("after the first chunk") << true;
    }
    void stallCancelsWithinASecond() {
        QFETCH(bool, afterFirstByte);
        TestHttpServer server;
        server.http.Post("/v1/chat/completions", [&](const httplib::Request&, httplib::Response& res) {
            if (!afterFirstByte) {
                server.stall();
                res.set_content(chunk({{"content", "late"}}, "stop"), kSseContentType);
                return;
            }
            res.set_chunked_content_provider(kSseContentType, [&](size_t, httplib::DataSink& sink) {
                const std::string first = chunk({{"role", "assistant"}, {"content", ""}}) + chunk({{"content", "Hi"}});
                sink.write(first.data(), first.size());
                server.stall();
                sink.done();
                return true;
            });
        });
        QVERIFY(server.start());
        auto b = open(settingsFor(server.url()));
        std::atomic<bool> cancel{false};
        QElapsedTimer sinceCancel;
        std::thread canceller([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(400));
            sinceCancel.start();
            cancel.store(true);
        });
        const Outcome o = ask(*b, cancel);
        const qint64 ms = sinceCancel.elapsed();
        canceller.join();
        QVERIFY(!o.ok);
        QVERIFY2(o.error.isEmpty(), qPrintable(o.error));
        QVERIFY(o.stats.cancelled);
        QVERIFY2(ms < 1000, qPrintable(QString::number(ms)));
        QCOMPARE(parsedEvents(o.deltas), afterFirstByte ? QStringList({"answer: Hi"}) : QStringList());
    }

    void readTimeoutAfterTheFirstByteIsAnError() {
        TestHttpServer server;
        server.http.Post("/v1/chat/completions", [&](const httplib::Request&, httplib::Response& res) {
            ++server.requests;
            res.set_chunked_content_provider(kSseContentType, [&](size_t, httplib::DataSink& sink) {
                const std::string first = chunk({{"content", "Hi"}});
                sink.write(first.data(), first.size());
                server.stall();
                return false;
            });
        });
        QVERIFY(server.start());
        RemoteSettings s = settingsFor(server.url());
        s.readTimeoutS = 0.5;
        std::atomic<bool> cancel{false};
        const Outcome o = ask(*open(s), cancel);
        QVERIFY(!o.ok);
        QVERIFY2(o.error.contains("broke off"), qPrintable(o.error));
        QCOMPARE(server.requests.load(), 1);  // never retried after the first byte
        QVERIFY(o.seconds < 5);
    }

    // A vLLM transcript served over a socket: the events, the counts, and the request we sent.
    void vllmTranscriptOverHttp() {
        QFile sse(QStringLiteral(M1_SOURCE_DIR "/tests/reference/openai/vllm_tool_calls.sse"));
        QFile text(QStringLiteral(M1_SOURCE_DIR "/tests/reference/openai/vllm_tool_calls.m1.txt"));
        QVERIFY(sse.open(QIODevice::ReadOnly) && text.open(QIODevice::ReadOnly));
        const std::string body = sse.readAll().toStdString();
        TestHttpServer server;
        server.http.Get("/v1/models", [&](const httplib::Request&, httplib::Response& res) {
            res.set_content(R"({"object": "list", "data": [{"id": "MiniMaxAI/MiniMax-M1-80k", "object": "model"}]})",
                            "application/json");
        });
        server.http.Post("/v1/chat/completions", [&](const httplib::Request& req, httplib::Response& res) {
            server.lastBody = req.body;
            res.set_content(body, kSseContentType);
        });
        QVERIFY(server.start());
        RemoteSettings s = settingsFor(server.url() + "/v1/");
        s.modelName.clear();  // asked from /v1/models
        auto b = open(s);
        QVERIFY(b);
        QCOMPARE(b->info().name, QString("MiniMaxAI/MiniMax-M1-80k"));
        QCOMPARE(b->info().backend, QString("remote"));
        QVERIFY(!b->info().randomWeights);
        std::atomic<bool> cancel{false};
        const Outcome o = ask(*b, cancel);
        QVERIFY2(o.ok, qPrintable(o.error));
        QCOMPARE(parsedEvents(o.deltas), parsedEvents({text.readAll().toStdString()}));
        QCOMPARE(o.stats.promptTokens, qint64(212));
        QCOMPARE(o.stats.generatedTokens, qint64(59));
        QVERIFY(o.stats.stoppedAtEnd);

        const json sent = json::parse(server.lastBody);
        QCOMPARE(sent["model"].get<std::string>(), std::string("MiniMaxAI/MiniMax-M1-80k"));
        QCOMPARE(sent["stream"].get<bool>(), true);
        QCOMPARE(sent["stream_options"]["include_usage"].get<bool>(), true);
        QCOMPARE(sent["max_tokens"].get<int>(), 64);
        QCOMPARE(int(sent["messages"].size()), 2);
        QCOMPARE(sent["messages"][0]["role"].get<std::string>(), std::string("system"));
        QCOMPARE(sent["messages"][0]["content"][0]["text"].get<std::string>(), std::string("Be brief."));
        QCOMPARE(sent["messages"][1]["role"].get<std::string>(), std::string("user"));
        QCOMPARE(sent["messages"][1]["content"][0]["text"].get<std::string>(), std::string("Hi"));
    }

    // The app's M1-format prompt goes out as messages; anything else as one user message.
    void promptToMessages() {
        const json m = json::parse(RemoteBackend::messagesJson(
            "<begin_of_document><beginning_of_sentence>system ai_setting=assistant\nS<end_of_sentence>\n"
            "<beginning_of_sentence>user name=user\nQ1<end_of_sentence>\n"
            "<beginning_of_sentence>ai name=assistant\nA1<end_of_sentence>\n"
            "<beginning_of_sentence>user name=user\nQ2\nsecond line<end_of_sentence>\n"
            "<beginning_of_sentence>ai name=assistant\n"));
        QCOMPARE(int(m["messages"].size()), 4);
        QCOMPARE(m["messages"][2]["role"].get<std::string>(), std::string("assistant"));
        QCOMPARE(m["messages"][2]["content"][0]["text"].get<std::string>(), std::string("A1"));
        QCOMPARE(m["messages"][3]["content"][0]["text"].get<std::string>(), std::string("Q2\nsecond line"));
        QVERIFY(!m.contains("tools"));
        const json raw = json::parse(RemoteBackend::messagesJson("just text"));
        QCOMPARE(int(raw["messages"].size()), 1);
        QCOMPARE(raw["messages"][0]["role"].get<std::string>(), std::string("user"));
        QCOMPARE(raw["messages"][0]["content"][0]["text"].get<std::string>(), std::string("just text"));
    }

    // Messages read back from a rendered prompt render to the same prompt (what a server with M1's template sees).
    void promptRoundTripsThroughMessages() {
        auto message = [](const char* role, const std::string& content) {
            return json{{"role", role}, {"content", content}};
        };
        json tool = message("tool", "{\"temp\": 21}");
        tool["name"] = "get_weather";
        const json conversation{
            {"messages", json::array({message("system", "You are a helpful assistant."),
                                      message("user", "What's the weather in Paris?"),
                                      message("assistant", "<think>\nUse the tool.\n</think>\n<tool_calls>\n"
                                                           "{\"name\": \"get_weather\", \"arguments\": "
                                                           "{\"city\": \"Paris\"}}\n</tool_calls>"),
                                      tool, message("user", "Thanks. And tomorrow?")})},
            {"tools", json::array({json{{"type", "function"},
                                        {"function", json{{"name", "get_weather"},
                                                          {"description", "Get weather."},
                                                          {"parameters", json{{"type", "object"}}}}}}})}};
        const std::string prompt = m1::render_chat(m1::chat_conversation_from_json(conversation), true);
        const json back = json::parse(RemoteBackend::messagesJson(prompt));
        QCOMPARE(int(back["messages"].size()), 5);
        QCOMPARE(int(back["tools"].size()), 1);
        QCOMPARE(m1::render_chat(m1::chat_conversation_from_json(back), true), prompt);
    }

    void badSettings() {
        QString error;
        RemoteSettings s = settingsFor("ftp://example.org");
        QVERIFY(!RemoteBackend::open(s, &error));
        QVERIFY2(error.contains("ftp://example.org"), qPrintable(error));
        s = settingsFor("http://127.0.0.1:9");
        s.tokenizerPath = "/nonexistent/tokenizer.json";
        QVERIFY(!RemoteBackend::open(s, &error));
        QVERIFY2(error.contains("/nonexistent/tokenizer.json"), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestRemoteBackend)
#include "tst_remote_backend.moc"
