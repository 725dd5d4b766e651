// m1 serve: the embedded engine behind an OpenAI-compatible HTTP API (see app/server/ChatServer.h), so that scripts
// and other tools can use it like a vLLM or SGLang server.
#include "app/backends/EngineBackend.h"
#include "app/cli/command.h"
#include "app/server/ChatServer.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include <QDir>
#include <QFileInfo>

namespace m1::cli {
namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) {
    g_stop.store(true);
}

}  // namespace

int run_serve(const std::vector<std::string>& args) {
    arg_parser p("serve", "--model DIR [--host 127.0.0.1] [--port N] [--api-key KEY] [options]",
                 "Serves a MiniMax-M1 model over an OpenAI-compatible HTTP API: GET /v1/models, POST "
                 "/v1/chat/completions (streaming or not; reasoning_content and tool_calls as vLLM serves M1) and POST "
                 "/v1/completions. Requests are queued and served one at a time, in order; a client that disconnects "
                 "cancels its request. Prints the URL once it is listening.");
    p.option("--model", "DIR", "MiniMax-M1 checkpoint directory (config.json, safetensors + index, tokenizer.json).")
        .option("--host", "ADDR", "Address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 for all).")
        .option("--port", "N", "TCP port (default 8000; 0 picks a free one).")
        .option("--api-key", "KEY",
                "Require 'Authorization: Bearer KEY' on every /v1 request (default: env M1_API_KEY).")
        .option("--backend", "cpu|cuda", "Where the model runs (default cpu).")
        .option("--model-name", "NAME", "The model's name in the API (default: the directory's name).")
        .option("--max-tokens", "N", "max_tokens for requests that give none (default 40960, M1-40k's budget).")
        .flag("--quiet", "Do not log one line per request on stderr.");
    if (int rc = parse_or_exit(p, args); rc >= 0) return rc;
    if (!p.has("--model")) {
        std::fprintf(stderr, "m1 serve: give --model DIR\n");
        return 2;
    }
    long long port = 8000, maxTokens = 40960;
    if (!p.int_value("--port", port, 8000) || !p.int_value("--max-tokens", maxTokens, 40960)) {
        std::fprintf(stderr, "m1 serve: %s\n", p.error().c_str());
        return 2;
    }
    if (port < 0 || port > 65535) {
        std::fprintf(stderr, "m1 serve: --port must be between 0 and 65535\n");
        return 2;
    }
    if (maxTokens < 1) {
        std::fprintf(stderr, "m1 serve: --max-tokens must be at least 1\n");
        return 2;
    }

    const QString dir = QString::fromStdString(*p.value("--model"));
    const std::string device = p.value_or("--backend", "cpu");
    std::fprintf(stderr, "loading model %s (%s)...\n", dir.toUtf8().constData(), device.c_str());
    QString error;
    std::unique_ptr<m1::app::EngineBackend> backend =
        m1::app::EngineBackend::open(dir, QString::fromStdString(device), &error);
    if (!backend) return fail("serve", error.toStdString());
    if (backend->info().randomWeights)
        std::fprintf(stderr, "note: %s has RANDOM WEIGHTS (a demo model): its answers are noise.\n",
                     backend->info().name.toUtf8().constData());

    m1::app::ServerOptions options;
    options.host = p.value_or("--host", "127.0.0.1");
    options.port = int(port);
    const char* envKey = std::getenv("M1_API_KEY");
    options.apiKey = p.value_or("--api-key", envKey ? envKey : "");
    options.modelName = p.value_or("--model-name", QFileInfo(QDir(dir).absolutePath()).fileName().toStdString());
    options.defaultMaxTokens = maxTokens;
    options.log = !p.has("--quiet");

    // A client that vanishes must show up as a failed write, not kill the process.
    std::signal(SIGPIPE, SIG_IGN);
    m1::app::ChatServer server(*backend, options);
    std::string why;
    if (!server.bind(&why)) return fail("serve", why);
    g_stop.store(false);
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    std::thread stopper([&] {
        while (!g_stop.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        server.stop();
    });
    std::printf("serving %s as '%s' at %s%s\n", dir.toUtf8().constData(), options.modelName.c_str(),
                server.url().c_str(), options.apiKey.empty() ? "" : " (API key required)");
    std::fflush(stdout);
    server.run();
    g_stop.store(true);
    stopper.join();
    server.stop();
    std::fprintf(stderr, "m1 serve: stopped\n");
    return 0;
}

}  // namespace m1::cli
