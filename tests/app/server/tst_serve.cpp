// m1 serve end to end: the real executable with a tiny random-weight model on a free loopback port, driven with
// plain HTTP requests and with RemoteBackend; and the same server code in-process over a scripted backend, for what
// a random model never writes (reasoning, tool calls) and for timing-sensitive cases (ordering). HTTP is real
// throughout (cpp-httplib on both ends).
#include "app/backends/RemoteBackend.h"
#include "app/server/ChatServer.h"
#include "app/session/AnalysisSession.h"
#include "engine/tokenizer/tokenizer.h"
#include "stream_events.h"
#include "test_http_server.h"

#include <csignal>
#include <mutex>

#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

using json = nlohmann::ordered_json;
using namespace m1::app;

namespace {

const char* kKey = "test-key-123";

struct HttpReply {
    int status = -1;
    json body;
    std::string raw;
};

HttpReply post(int port, const std::string& path, const std::string& body, const std::string& key = kKey,
               int timeoutS = 60) {
    httplib::Client cli("127.0.0.1", port);
    cli.set_read_timeout(timeoutS, 0);
    httplib::Headers h;
    if (!key.empty()) h.emplace("Authorization", "Bearer " + key);
    HttpReply r;
    if (auto res = cli.Post(path.c_str(), h, body, "application/json")) {
        r.status = res->status;
        r.raw = res->body;
        r.body = json::parse(res->body, nullptr, false);
    }
    return r;
}

HttpReply get(int port, const std::string& path, const std::string& key) {
    httplib::Client cli("127.0.0.1", port);
    httplib::Headers h;
    if (!key.empty()) h.emplace("Authorization", "Bearer " + key);
    HttpReply r;
    if (auto res = cli.Get(path.c_str(), h)) {
        r.status = res->status;
        r.raw = res->body;
        r.body = json::parse(res->body, nullptr, false);
    }
    return r;
}

// A streaming POST; onData sees the body as it arrives and returns false to hang up.
int streamPost(int port, const std::string& path, const std::string& body,
               const std::function<bool(const std::string&)>& onData, const std::string& key = kKey) {
    httplib::Client cli("127.0.0.1", port);
    cli.set_read_timeout(60, 0);
    httplib::Request req;
    req.method = "POST";
    req.path = path;
    req.body = body;
    req.set_header("Content-Type", "application/json");
    if (!key.empty()) req.set_header("Authorization", "Bearer " + key);
    int status = -1;
    req.response_handler = [&](const httplib::Response& r) {
        status = r.status;
        return true;
    };
    req.content_receiver = [&](const char* d, size_t n, uint64_t, uint64_t) { return onData(std::string(d, n)); };
    httplib::Response res;
    httplib::Error err;
    cli.send(req, res, err);
    return status;
}

// The SSE body split into its JSON chunks (an independent reading of the framing: "data: X" + blank line).
std::vector<json> sseChunks(const std::string& body, bool* done) {
    std::vector<json> out;
    *done = false;
    size_t start = 0;
    for (size_t end; (end = body.find("\n\n", start)) != std::string::npos; start = end + 2) {
        const std::string event = body.substr(start, end - start);
        if (event.rfind("data: ", 0) != 0) continue;
        const std::string data = event.substr(6);
        if (data == "[DONE]") {
            *done = true;
            continue;
        }
        out.push_back(json::parse(data));
    }
    return out;
}

std::string contentOf(const std::vector<json>& chunks, const char* field = "content") {
    std::string s;
    for (const json& c : chunks)
        if (!c["choices"].empty() && c["choices"][0].contains("delta") && c["choices"][0]["delta"].contains(field))
            s += c["choices"][0]["delta"][field].get<std::string>();
    return s;
}

// A backend that "generates" a fixed text in small pieces, with a pause per piece: the server's HTTP path is real,
// only the model is scripted.
class ScriptedBackend final : public ModelBackend {
public:
    ScriptedBackend(const std::string& tokenizerJson, std::string script, int pauseMs)
        : m_tok(m1::tokenizer::load(tokenizerJson)), m_script(std::move(script)), m_pauseMs(pauseMs) {}
    ModelInfo info() const override { return {"scripted", "memory", "test", false}; }
    const m1::tokenizer& tokenizer() const override { return *m_tok; }
    qint64 contextTokens() const override { return 1000000; }
    bool preparePrefix(const std::vector<int32_t>& ids, const GenerationCallbacks&, const std::atomic<bool>& cancel,
                       QString* error) override {
        error->clear();
        m_prefix = m_tok->decode(ids);
        // A long prefill, if asked for: checks cancel every 10 ms like the engine does between chunks.
        for (int waited = 0; waited < prefillMs; waited += 10) {
            if (cancel.load()) {
                prefillCancelled = true;
                return false;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return true;
    }
    bool generate(const std::string& suffix, const SamplingSettings& sampling, const GenerationCallbacks& cb,
                  const std::atomic<bool>& cancel, GenerationStats* stats, QString* error) override {
        error->clear();
        *stats = {};
        maxActive = std::max(maxActive.load(), ++active);
        {
            std::lock_guard<std::mutex> lock(mutex);
            served.push_back(m_prefix + suffix);
        }
        struct leave {
            std::atomic<int>& n;
            ~leave() { --n; }
        } guard{active};
        for (const std::string& piece : piecesOf(m_script, 4)) {
            if (cancel.load() || stats->generatedTokens >= sampling.maxOutputTokens) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(m_pauseMs));
            ++stats->generatedTokens;
            if (cb.text && !cb.text(piece)) break;
        }
        stats->stoppedAtEnd = stats->generatedTokens == qint64(piecesOf(m_script, 4).size());
        stats->cancelled = cancel.load();
        lastGenerated = stats->generatedTokens;
        lastCancelled = stats->cancelled;
        return !stats->cancelled;
    }

    std::atomic<int> active{0}, maxActive{0};  // generations running at once
    std::atomic<qint64> lastGenerated{0};
    int prefillMs = 0;
    std::atomic<bool> prefillCancelled{false};
    std::atomic<bool> lastCancelled{false};
    std::mutex mutex;
    std::vector<std::string> served;  // the prompts, in the order they were generated from

private:
    std::unique_ptr<m1::tokenizer> m_tok;
    std::string m_script, m_prefix;
    int m_pauseMs;
};

const std::string kScript =
    "<think>\nThe user wants the weather; I will call the tool.\n</think>\nOne moment."
    "<tool_calls>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_calls>";

// The in-process server over a scripted model, on a free loopback port. Set backend fields before start().
struct ScriptedServer {
    ScriptedServer(const QString& modelDir, std::string script, int pauseMs)
        : backend((modelDir + "/tokenizer.json").toStdString(), std::move(script), pauseMs),
          server(backend, options()) {}
    static ServerOptions options() {
        ServerOptions o;
        o.port = 0;
        o.modelName = "scripted";
        return o;
    }
    ScriptedBackend backend;
    ChatServer server;
};

std::string chatBody(const std::string& user, int maxTokens, bool stream, double temperature = 0) {
    json b{{"messages", json::array({json{{"role", "user"}, {"content", user}}})},
           {"max_tokens", maxTokens},
           {"temperature", temperature},
           {"stream", stream}};
    if (stream) b["stream_options"] = json{{"include_usage", true}};
    return b.dump();
}

}  // namespace

class TestServe : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_model;
    QProcess m_serve;
    int m_port = -1;
    std::unique_ptr<m1::tokenizer> m_tok;

private slots:
    void initTestCase() {
        std::signal(SIGPIPE, SIG_IGN);
        QVERIFY(m_dir.isValid());
        m_model = m_dir.filePath("tiny");
        QProcess make;
        make.start(M1_CLI, {"make-model", "--preset", "tiny", "--seed", "11", "--out", m_model});
        QVERIFY(make.waitForFinished(60000));
        QVERIFY2(make.exitCode() == 0, make.readAllStandardError().constData());
        m_tok = m1::tokenizer::load((m_model + "/tokenizer.json").toStdString());

        m_serve.start(M1_CLI, {"serve", "--model", m_model, "--port", "0", "--api-key", kKey, "--model-name", "tiny"});
        QVERIFY(m_serve.waitForStarted());
        QElapsedTimer t;
        t.start();
        QByteArray out;
        while (!out.contains('\n') && t.elapsed() < 30000) {
            m_serve.waitForReadyRead(500);
            out += m_serve.readAllStandardOutput();
        }
        const QRegularExpressionMatch m = QRegularExpression("http://127\\.0\\.0\\.1:(\\d+)/v1").match(QString(out));
        QVERIFY2(m.hasMatch(), (out + m_serve.readAllStandardError()).constData());
        m_port = m.captured(1).toInt();
    }

    void cleanupTestCase() {
        if (m_serve.state() == QProcess::NotRunning) return;
        m_serve.terminate();  // SIGTERM: a clean stop
        QVERIFY(m_serve.waitForFinished(10000));
        QCOMPARE(m_serve.exitCode(), 0);
    }

    void modelsAndAuth() {
        HttpReply r = get(m_port, "/v1/models", "");
        QCOMPARE(r.status, 401);
        QCOMPARE(r.body["error"]["code"].get<std::string>(), std::string("invalid_api_key"));
        r = get(m_port, "/v1/models", "wrong");
        QCOMPARE(r.status, 401);
        QVERIFY(r.body["error"]["message"].is_string());
        r = post(m_port, "/v1/chat/completions", chatBody("Hi", 2, false), "wrong");
        QCOMPARE(r.status, 401);
        r = get(m_port, "/v1/models", kKey);
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body["object"].get<std::string>(), std::string("list"));
        QCOMPARE(r.body["data"][0]["id"].get<std::string>(), std::string("tiny"));
        QCOMPARE(r.body["data"][0]["max_model_len"].get<int64_t>(), int64_t(1000000));
        QCOMPARE(r.body["data"][0]["m1studio_random_weights"].get<bool>(), true);
    }

    void chatStreamingAndNot() {
        const HttpReply r = post(m_port, "/v1/chat/completions", chatBody("Hello", 12, false));
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body["object"].get<std::string>(), std::string("chat.completion"));
        QCOMPARE(r.body["model"].get<std::string>(), std::string("tiny"));
        const json& choice = r.body["choices"][0];
        QCOMPARE(choice["message"]["role"].get<std::string>(), std::string("assistant"));
        const std::string content = choice["message"]["content"].get<std::string>();
        // The prompt the official template makes of one user message (spec §7.1), counted by the model's tokenizer.
        const std::string prompt = "<begin_of_document><beginning_of_sentence>user name=user\nHello<end_of_sentence>\n"
                                   "<beginning_of_sentence>ai name=assistant\n";
        const json& usage = r.body["usage"];
        QCOMPARE(usage["prompt_tokens"].get<int64_t>(), int64_t(m_tok->count(prompt)));
        const int64_t completion = usage["completion_tokens"].get<int64_t>();
        QVERIFY(completion >= 1 && completion <= 12);
        QCOMPARE(usage["total_tokens"].get<int64_t>(), usage["prompt_tokens"].get<int64_t>() + completion);
        QCOMPARE(choice["finish_reason"].get<std::string>(), std::string(completion == 12 ? "length" : "stop"));

        std::string body;
        QCOMPARE(streamPost(m_port, "/v1/chat/completions", chatBody("Hello", 12, true),
                            [&](const std::string& d) {
                                body += d;
                                return true;
                            }),
                 200);
        bool done = false;
        const std::vector<json> chunks = sseChunks(body, &done);
        QVERIFY(done);
        QVERIFY(chunks.size() >= 3);
        QCOMPARE(chunks.front()["choices"][0]["delta"]["role"].get<std::string>(), std::string("assistant"));
        for (const json& c : chunks) QCOMPARE(c["object"].get<std::string>(), std::string("chat.completion.chunk"));
        QCOMPARE(contentOf(chunks), content);  // greedy: the same text both ways
        for (const char* k : {"prompt_tokens", "completion_tokens", "total_tokens"})
            QCOMPARE(chunks.back()["usage"][k], usage[k]);
        QCOMPARE(chunks[chunks.size() - 2]["choices"][0]["finish_reason"], choice["finish_reason"]);
    }

    void rawCompletions() {
        const std::string prompt = "The quick brown fox";
        const HttpReply r =
            post(m_port, "/v1/completions", json{{"prompt", prompt}, {"max_tokens", 5}, {"temperature", 0}}.dump());
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body["object"].get<std::string>(), std::string("text_completion"));
        QVERIFY(r.body["choices"][0]["text"].is_string());
        QCOMPARE(r.body["usage"]["prompt_tokens"].get<int64_t>(), int64_t(m_tok->count(prompt)));
        QVERIFY(r.body["usage"]["completion_tokens"].get<int64_t>() <= 5);
    }

    void badRequests_data() {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("status");
        QTest::addColumn<QStringList>("mustSay");
        QTest::newRow("not json") << "/v1/chat/completions" << QByteArray("{\"messages\": [") << 400
                                  << QStringList{"not valid JSON"};
        QTest::newRow("no messages") << "/v1/chat/completions" << QByteArray("{\"max_tokens\": 3}") << 400
                                     << QStringList{"'messages' is missing"};
        QTest::newRow("bad temperature")
            << "/v1/chat/completions"
            << QByteArray(R"({"messages": [{"role": "user", "content": "x"}], "temperature": "hot"})") << 400
            << QStringList{"temperature"};
        QTest::newRow("bad role") << "/v1/chat/completions"
                                  << QByteArray(R"({"messages": [{"role": "robot", "content": "x"}]})") << 400
                                  << QStringList{"robot"};
        QTest::newRow("no prompt") << "/v1/completions" << QByteArray("{}") << 400
                                   << QStringList{"'prompt' is missing"};
        QTest::newRow("unknown model") << "/v1/chat/completions"
                                       << QByteArray(
                                              R"({"model": "gpt-4", "messages": [{"role": "user", "content": "x"}]})")
                                       << 404 << QStringList{"gpt-4"};
    }
    void badRequests() {
        QFETCH(QString, path);
        QFETCH(QByteArray, body);
        QFETCH(int, status);
        QFETCH(QStringList, mustSay);
        const HttpReply r = post(m_port, path.toStdString(), body.toStdString());
        QCOMPARE(r.status, status);
        const QString message = QString::fromStdString(r.body["error"]["message"].get<std::string>());
        for (const QString& s : mustSay) QVERIFY2(message.contains(s), qPrintable(message));
    }

    void overLongPrompt() {
        const std::string prompt = "<begin_of_document><beginning_of_sentence>user name=user\nHello<end_of_sentence>\n"
                                   "<beginning_of_sentence>ai name=assistant\n";
        const int64_t n = int64_t(m_tok->count(prompt));
        const HttpReply r = post(m_port, "/v1/chat/completions", chatBody("Hello", 999999, false));
        QCOMPARE(r.status, 400);
        const QString message = QString::fromStdString(r.body["error"]["message"].get<std::string>());
        QVERIFY2(message.contains("1000000") && message.contains(QString::number(n) + " in the messages") &&
                     message.contains("999999 in the completion") && message.contains(QString::number(999999 + n)),
                 qPrintable(message));
    }

    // The app's remote backend against m1 serve: the same text as a plain request for the same messages.
    void remoteBackendAgainstServe() {
        RemoteSettings s;
        s.url = "http://127.0.0.1:" + std::to_string(m_port);
        s.apiKey = kKey;
        s.tokenizerPath = (m_model + "/tokenizer.json").toStdString();
        QString error;
        std::unique_ptr<RemoteBackend> b = RemoteBackend::open(s, &error);
        QVERIFY2(b, qPrintable(error));
        QCOMPARE(b->info().name, QString("tiny"));  // from /v1/models
        QVERIFY(b->info().randomWeights);           // m1 make-model's model, labelled through the server too

        std::atomic<bool> cancel{false};
        const std::string system = "<begin_of_document><beginning_of_sentence>system ai_setting=assistant\nBe brief."
                                   "<end_of_sentence>\n";
        const std::string suffix = "<beginning_of_sentence>user name=user\nWhat is 2+2?<end_of_sentence>\n"
                                   "<beginning_of_sentence>ai name=assistant\n";
        QVERIFY(b->preparePrefix(b->tokenizer().encode(system), {}, cancel, &error));
        SamplingSettings sampling;
        sampling.temperature = 0;
        sampling.maxOutputTokens = 10;
        std::string text;
        GenerationCallbacks cb;
        cb.text = [&](const std::string& d) {
            text += d;
            return true;
        };
        GenerationStats stats;
        QVERIFY2(b->generate(suffix, sampling, cb, cancel, &stats, &error), qPrintable(error));

        const json plain{{"messages", json::array({json{{"role", "system"}, {"content", "Be brief."}},
                                                   json{{"role", "user"}, {"content", "What is 2+2?"}}})},
                         {"max_tokens", 10},
                         {"temperature", 0}};
        const HttpReply r = post(m_port, "/v1/chat/completions", plain.dump());
        QCOMPARE(r.status, 200);
        QCOMPARE(text, r.body["choices"][0]["message"]["content"].get<std::string>());
        QCOMPARE(stats.promptTokens, qint64(m_tok->count(system + suffix)));
        QCOMPARE(stats.generatedTokens, r.body["usage"]["completion_tokens"].get<qint64>());
    }

    // m1 serve: a client that hangs up mid-stream does not disturb the server; the next request is served.
    // (The tiny model ends its answers after a few dozen tokens, so whether the first request was cancelled or had
    // already finished is checked with the scripted model below.)
    void clientDisconnectsMidStream() {
        int lines = 0;
        streamPost(m_port, "/v1/chat/completions", chatBody("Tell me a long story", 200000, true, 1.0),
                   [&](const std::string& d) { return (lines += int(std::count(d.begin(), d.end(), '\n'))) < 6; });
        QVERIFY(lines >= 6);
        const HttpReply r = post(m_port, "/v1/chat/completions", chatBody("Next", 4, false), kKey, 30);
        QCOMPARE(r.status, 200);
        QVERIFY(r.body["usage"]["completion_tokens"].get<int>() >= 1);
    }

    // Hanging up cancels the request at the next token: the scripted answer would take 25 s.
    void disconnectCancelsGeneration() {
        std::string longScript;
        for (int i = 0; i < 2500; ++i) longScript += "abcd";
        ScriptedServer f(m_model, longScript, 10);
        ScriptedBackend& backend = f.backend;
        ChatServer& server = f.server;
        std::string why;
        QVERIFY2(server.start(&why), why.c_str());
        int lines = 0;
        streamPost(
            server.port(), "/v1/chat/completions", chatBody("Q", 100000, true),
            [&](const std::string& d) { return (lines += int(std::count(d.begin(), d.end(), '\n'))) < 10; }, "");
        QElapsedTimer t;
        t.start();
        ScriptedBackend* b = &backend;
        QTRY_VERIFY_WITH_TIMEOUT(b->active.load() == 0, 3000);
        QVERIFY(backend.lastCancelled.load());
        QVERIFY2(backend.lastGenerated.load() < 200, qPrintable(QString::number(backend.lastGenerated.load())));
        QVERIFY(t.elapsed() < 2000);
        server.stop();
    }

    void twoConcurrentClients() {
        std::string bodies[2];
        int statuses[2] = {-1, -1};
        std::thread clients[2];
        for (int i = 0; i < 2; ++i)
            clients[i] = std::thread([&, i] {
                statuses[i] = streamPost(m_port, "/v1/chat/completions",
                                         chatBody(i == 0 ? "First client" : "Second client", 48, true),
                                         [&](const std::string& d) {
                                             bodies[i] += d;
                                             return true;
                                         });
            });
        for (auto& c : clients) c.join();
        for (int i = 0; i < 2; ++i) {
            QCOMPARE(statuses[i], 200);
            bool done = false;
            const std::vector<json> chunks = sseChunks(bodies[i], &done);
            QVERIFY(done);
            QVERIFY(chunks.back().contains("usage"));
            QVERIFY(chunks.back()["usage"]["completion_tokens"].get<int>() >= 1);
        }
    }

    // The in-process server over a scripted model: reasoning and tool calls over real HTTP, three ways.
    void reasoningAndToolCallsOverHttp() {
        ScriptedServer f(m_model, kScript, 0);
        ScriptedBackend& backend = f.backend;
        ChatServer& server = f.server;
        std::string why;
        QVERIFY2(server.start(&why), why.c_str());

        const HttpReply r = post(server.port(), "/v1/chat/completions", chatBody("Weather in Paris?", 1000, false), "");
        QCOMPARE(r.status, 200);
        const json& m = r.body["choices"][0]["message"];
        QCOMPARE(m["reasoning_content"].get<std::string>(),
                 std::string("The user wants the weather; I will call the tool."));
        QCOMPARE(m["content"].get<std::string>(), std::string("One moment."));
        QCOMPARE(m["tool_calls"][0]["type"].get<std::string>(), std::string("function"));
        QCOMPARE(m["tool_calls"][0]["function"]["name"].get<std::string>(), std::string("get_weather"));
        QCOMPARE(json::parse(m["tool_calls"][0]["function"]["arguments"].get<std::string>()),
                 json({{"city", "Paris"}}));
        QCOMPARE(r.body["choices"][0]["finish_reason"].get<std::string>(), std::string("tool_calls"));
        QCOMPARE(r.body["usage"]["completion_tokens"].get<int64_t>(), int64_t(piecesOf(kScript, 4).size()));

        std::string body;
        QCOMPARE(streamPost(
                     server.port(), "/v1/chat/completions", chatBody("Weather in Paris?", 1000, true),
                     [&](const std::string& d) {
                         body += d;
                         return true;
                     },
                     ""),
                 200);
        bool done = false;
        const std::vector<json> chunks = sseChunks(body, &done);
        QVERIFY(done);
        QCOMPARE(contentOf(chunks, "reasoning_content"), m["reasoning_content"].get<std::string>());
        QCOMPARE(contentOf(chunks), std::string("One moment."));

        RemoteSettings s;
        s.url = server.url();
        s.tokenizerPath = (m_model + "/tokenizer.json").toStdString();
        QString error;
        auto remote = RemoteBackend::open(s, &error);
        QVERIFY2(remote, qPrintable(error));
        std::vector<std::string> deltas;
        GenerationCallbacks cb;
        cb.text = [&](const std::string& d) {
            deltas.push_back(d);
            return true;
        };
        std::atomic<bool> cancel{false};
        GenerationStats stats;
        QVERIFY2(
            remote->generate("<begin_of_document><beginning_of_sentence>user name=user\nWeather?<end_of_sentence>\n"
                             "<beginning_of_sentence>ai name=assistant\n",
                             SamplingSettings{}, cb, cancel, &stats, &error),
            qPrintable(error));
        QCOMPARE(parsedEvents(deltas), parsedEvents({kScript}));
        QVERIFY(stats.stoppedAtEnd);
        server.stop();
    }

    // A client that leaves during a long prefill (no tokens yet) is noticed through the keep-alive comments.
    void disconnectDuringPrefill() {
        ScriptedServer f(m_model, kScript, 0);
        f.backend.prefillMs = 30000;
        ScriptedBackend& backend = f.backend;
        ChatServer& server = f.server;
        std::string why;
        QVERIFY2(server.start(&why), why.c_str());
        std::string seen;
        streamPost(
            server.port(), "/v1/chat/completions", chatBody("Q", 100, true),
            [&](const std::string& d) {
                seen += d;
                return seen.find("keep-alive") == std::string::npos;  // hang up at the first keep-alive
            },
            "");
        QVERIFY(seen.find(": keep-alive") != std::string::npos);
        QElapsedTimer t;
        t.start();
        ScriptedBackend* b = &backend;
        QTRY_VERIFY_WITH_TIMEOUT(b->prefillCancelled.load(), 5000);
        QVERIFY(t.elapsed() < 5000);
        server.stop();
    }

    // A follow-up turn extends the previous prompt: only its new tokens are prefilled, and usage says how many
    // came from the kept prefix (vLLM's prompt_tokens_details.cached_tokens).
    void followUpReusesThePrefix() {
        const std::string first = "<begin_of_document><beginning_of_sentence>user name=user\nHello<end_of_sentence>\n";
        HttpReply r = post(m_port, "/v1/chat/completions", chatBody("Hello", 3, false));
        QCOMPARE(r.status, 200);
        const std::string answer = r.body["choices"][0]["message"]["content"].get<std::string>();
        const json followUp{{"messages", json::array({json{{"role", "user"}, {"content", "Hello"}},
                                                      json{{"role", "assistant"}, {"content", answer}},
                                                      json{{"role", "user"}, {"content", "And then?"}}})},
                            {"max_tokens", 3},
                            {"temperature", 0}};
        r = post(m_port, "/v1/chat/completions", followUp.dump());
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body["usage"]["prompt_tokens_details"]["cached_tokens"].get<int64_t>(),
                 int64_t(m_tok->count(first)));
        // An unrelated prompt reuses nothing.
        r = post(m_port, "/v1/completions", json{{"prompt", "Unrelated"}, {"max_tokens", 2}}.dump());
        QCOMPARE(r.status, 200);
        QVERIFY(!r.body["usage"].contains("prompt_tokens_details"));
    }

    // The analysis session over the remote backend: reasoning, answer and tool call arrive as its own events.
    void analysisSessionOverRemote() {
        ScriptedServer f(m_model, kScript, 0);
        ScriptedBackend& backend = f.backend;
        ChatServer& server = f.server;
        std::string why;
        QVERIFY2(server.start(&why), why.c_str());
        RemoteSettings s;
        s.url = server.url();
        s.tokenizerPath = (m_model + "/tokenizer.json").toStdString();
        QString error;
        auto remote = RemoteBackend::open(s, &error);
        QVERIFY2(remote, qPrintable(error));
        AnalysisSession session(*remote);
        QVERIFY2(session.setContext("Be brief.", {}, 1000, &error), qPrintable(error));
        QString reasoning, answer, tool;
        AnalysisCallbacks cb;
        cb.reasoning = [&](const QString& d) {
            reasoning += d;
            return true;
        };
        cb.answer = [&](const QString& d) {
            answer += d;
            return true;
        };
        cb.toolCall = [&](const QString& name, const QString& args) { tool = name + " " + args; };
        std::atomic<bool> cancel{false};
        QVERIFY2(session.ask("Weather in Paris?", cb, cancel, &error), qPrintable(error));
        QCOMPARE(reasoning, QString("The user wants the weather; I will call the tool."));
        QCOMPARE(answer, QString("One moment."));
        QCOMPARE(tool, QString(R"(get_weather {"city":"Paris"})"));
        QCOMPARE(session.conversation().model.backend, QString("remote"));
        // The question went out as messages after the sources' system message.
        QVERIFY(backend.served.back().find("Weather in Paris?") != std::string::npos);
        server.stop();
    }

    // m1 ask --endpoint against m1 serve, as a user would run it.
    void askCommandWithEndpoint() {
        const QString notes = m_dir.filePath("notes.txt");
        QFile f(notes);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("The meeting is on Tuesday.\nBring the budget.\n");
        f.close();
        const QString saved = m_dir.filePath("session.json");
        QProcess ask;
        ask.start(M1_CLI, {"ask", "--endpoint", QString("http://127.0.0.1:%1").arg(m_port), "--api-key", kKey,
                           "--tokenizer", m_model + "/tokenizer.json", "--source", notes, "--question",
                           "When is the meeting?", "--max-tokens", "8", "--temperature", "0", "--save", saved});
        QVERIFY(ask.waitForFinished(60000));
        const QByteArray out = ask.readAllStandardOutput(), err = ask.readAllStandardError();
        QVERIFY2(ask.exitCode() == 0, (out + err).constData());
        QVERIFY2(out.contains("=== Question 1: When is the meeting?") && out.contains("prompt tokens"),
                 out.constData());
        QFile session(saved);
        QVERIFY(session.open(QIODevice::ReadOnly));
        const QByteArray json = session.readAll();
        QVERIFY(json.contains("\"remote\"") && json.contains("\"tiny\""));

        QProcess noTokenizer;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove("M1_TOKENIZER");
        noTokenizer.setProcessEnvironment(env);
        noTokenizer.start(M1_CLI, {"ask", "--endpoint", "http://127.0.0.1:1", "--source", notes, "--question", "Q"});
        QVERIFY(noTokenizer.waitForFinished(30000));
        QCOMPARE(noTokenizer.exitCode(), 2);
        QVERIFY(noTokenizer.readAllStandardError().contains("--tokenizer"));
    }

    // Requests are served one at a time, in arrival order, and both complete.
    void concurrentRequestsAreServedInOrder() {
        ScriptedServer f(m_model, kScript, 10);
        ScriptedBackend& backend = f.backend;
        ChatServer& server = f.server;
        std::string why;
        QVERIFY2(server.start(&why), why.c_str());
        std::thread clients[3];
        int statuses[3] = {-1, -1, -1};
        std::string bodies[3];
        for (int i = 0; i < 3; ++i) {
            clients[i] = std::thread([&, i] {
                statuses[i] = streamPost(
                    server.port(), "/v1/chat/completions", chatBody("client " + std::to_string(i), 1000, true),
                    [&](const std::string& d) {
                        bodies[i] += d;
                        return true;
                    },
                    "");
            });
            std::this_thread::sleep_for(std::chrono::milliseconds(50));  // arrival order 0, 1, 2
        }
        for (auto& c : clients) c.join();
        QCOMPARE(backend.maxActive.load(), 1);
        QCOMPARE(int(backend.served.size()), 3);
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(statuses[i], 200);
            QVERIFY(backend.served[i].find("client " + std::to_string(i)) != std::string::npos);
            bool done = false;
            const std::vector<json> chunks = sseChunks(bodies[i], &done);
            QVERIFY(done);
            QCOMPARE(contentOf(chunks), std::string("One moment."));
        }
        server.stop();
    }
};

QTEST_GUILESS_MAIN(TestServe)
#include "tst_serve.moc"
