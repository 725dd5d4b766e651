#include "app/server/ChatServer.h"

#include "app/server/OpenAiRequest.h"
#include "app/server/ResponseBuilder.h"
#include "engine/tokenizer/tokenizer.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <httplib.h>
#include <random>

namespace m1::app {

using json = nlohmann::ordered_json;

namespace {

int64_t unixSeconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void sendError(httplib::Response& res, int status, const std::string& message, const std::string& type,
               const std::string& code = {}) {
    res.status = status;
    res.set_content(dumpJson(errorBody(message, type, code)), "application/json");
}

}  // namespace

// One request on its way through the worker. The HTTP thread that owns the connection waits on `done`
// (non-streaming) or drains `chunks` (streaming); the worker fills them.
struct ChatServer::Job {
    Job(ResponseBuilder::Kind kind, const std::string& id, int64_t created, const std::string& model)
        : builder(kind, id, created, model) {}

    GenerationRequest request;
    std::vector<int32_t> prefixIds;  // the kept-prefix part of the prompt
    std::string suffix;              // the rest, as text
    int64_t promptTokens = 0;
    int64_t maxTokens = 0;
    ResponseBuilder builder;
    std::atomic<bool> cancel{false};

    std::mutex mutex;
    std::condition_variable changed;
    std::deque<std::string> chunks;  // SSE-framed, not yet written
    bool finished = false;
    std::string error;  // a generation failure (500 / an error chunk)
    std::chrono::steady_clock::time_point lastWrite = std::chrono::steady_clock::now();  // HTTP thread only
    json response;                                                                       // non-streaming result
};

ChatServer::ChatServer(ModelBackend& backend, ServerOptions options)
    : m_backend(backend), m_options(std::move(options)), m_http(std::make_unique<httplib::Server>()) {
    m_started = unixSeconds();
    // Every streaming client holds a connection thread while its request waits in the queue; cpp-httplib's
    // default pool (8 threads on a small machine) would leave further clients unanswered at the TCP level.
    m_http->new_task_queue = [] { return new httplib::ThreadPool(64); };
    routes();
}

ChatServer::~ChatServer() {
    stop();
}

std::string ChatServer::url() const {
    const std::string host =
        m_options.host.find(':') != std::string::npos ? "[" + m_options.host + "]" : m_options.host;
    return "http://" + host + ":" + std::to_string(m_port) + "/v1";
}

bool ChatServer::bind(std::string* error) {
    if (m_options.port == 0) {
        m_port = m_http->bind_to_any_port(m_options.host);
    } else {
        m_port = m_http->bind_to_port(m_options.host, m_options.port) ? m_options.port : -1;
    }
    if (m_port < 0) {
        *error = "cannot listen on " + m_options.host + ":" + std::to_string(m_options.port) +
                 " (the address is not local, or the port is taken)";
        return false;
    }
    m_worker = std::thread([this] { workerLoop(); });
    return true;
}

void ChatServer::run() {
    m_http->listen_after_bind();
}

bool ChatServer::start(std::string* error) {
    if (!bind(error)) return false;
    m_listener = std::thread([this] { run(); });
    return true;
}

void ChatServer::stop() {
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        if (m_stopping) return;
        m_stopping = true;
        if (m_current) m_current->cancel.store(true);
        for (auto& job : m_queue) job->cancel.store(true);
    }
    m_wake.notify_all();
    m_http->stop();
    if (m_listener.joinable()) m_listener.join();
    if (m_worker.joinable()) m_worker.join();
}

bool ChatServer::authorized(const httplib::Request& req, httplib::Response& res) const {
    if (m_options.apiKey.empty()) return true;
    const std::string header = req.get_header_value("Authorization");
    if (header.empty()) {
        sendError(res, 401, "You didn't provide an API key: send it as 'Authorization: Bearer KEY'.",
                  "invalid_request_error", "invalid_api_key");
        return false;
    }
    if (header != "Bearer " + m_options.apiKey) {
        sendError(res, 401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key");
        return false;
    }
    return true;
}

void ChatServer::routes() {
    m_http->set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
        if (req.path.rfind("/v1/", 0) == 0 && !authorized(req, res)) return httplib::Server::HandlerResponse::Handled;
        return httplib::Server::HandlerResponse::Unhandled;
    });
    m_http->set_error_handler([](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return;
        if (res.status == 404)
            sendError(res, 404, "no route for " + req.method + " " + req.path, "not_found_error");
        else
            sendError(res, res.status, "request failed with HTTP " + std::to_string(res.status),
                      "invalid_request_error");
    });
    m_http->set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown error";
        try {
            if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
            what = e.what();
        } catch (...) {
        }
        sendError(res, 500, "internal error: " + what, "server_error");
    });
    m_http->Get("/health", [](const httplib::Request&, httplib::Response& res) { res.status = 200; });
    m_http->Get("/v1/models", [this](const httplib::Request&, httplib::Response& res) {
        json model{{"id", m_options.modelName},
                   {"object", "model"},
                   {"created", m_started},
                   {"owned_by", "m1studio"},
                   {"root", m_backend.info().location.toStdString()},
                   {"max_model_len", m_backend.contextTokens()}};
        // m1 make-model's demo models: clients of ours (RemoteBackend) label their answers as noise too.
        if (m_backend.info().randomWeights) model["m1studio_random_weights"] = true;
        res.set_content(dumpJson(json{{"object", "list"}, {"data", json::array({model})}}), "application/json");
    });
    m_http->Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
        handleGeneration(int(ResponseBuilder::Kind::Chat), req, res);
    });
    m_http->Post("/v1/completions", [this](const httplib::Request& req, httplib::Response& res) {
        handleGeneration(int(ResponseBuilder::Kind::Completion), req, res);
    });
}

void ChatServer::handleGeneration(int kindValue, const httplib::Request& req, httplib::Response& res) {
    const auto kind = ResponseBuilder::Kind(kindValue);
    GenerationRequest request;
    if (std::string why = parseGenerationRequest(kind, req.body, &request); !why.empty()) {
        sendError(res, 400, why, "invalid_request_error");
        return;
    }
    if (!request.model.empty() && request.model != m_options.modelName) {
        sendError(res, 404,
                  "The model '" + request.model + "' does not exist (this server serves '" + m_options.modelName +
                      "').",
                  "not_found_error", "model_not_found");
        return;
    }

    const bool chat = kind == ResponseBuilder::Kind::Chat;
    auto job = std::make_shared<Job>(kind, ResponseBuilder::newId(chat ? "chatcmpl-" : "cmpl-"), unixSeconds(),
                                     m_options.modelName);
    // Split before the last <beginning_of_sentence>: added tokens are matched before BPE, so the two halves
    // tokenize to exactly the ids of the whole prompt, and the first half can stay prefilled for the next request.
    const std::string& prompt = request.prompt;
    const size_t cut = prompt.rfind("<beginning_of_sentence>");
    const size_t split = cut == std::string::npos ? 0 : cut;
    const m1::tokenizer& tok = m_backend.tokenizer();
    job->prefixIds = tok.encode(std::string_view(prompt).substr(0, split));
    job->suffix = prompt.substr(split);
    job->promptTokens = int64_t(job->prefixIds.size() + tok.count(job->suffix));

    const int64_t context = m_backend.contextTokens();
    if (request.maxTokens) {
        job->maxTokens = *request.maxTokens;
        if (job->promptTokens + job->maxTokens > context) {
            sendError(res, 400,
                      "This model's maximum context length is " + std::to_string(context) +
                          " tokens. However, you "
                          "requested " +
                          std::to_string(job->promptTokens + job->maxTokens) + " tokens (" +
                          std::to_string(job->promptTokens) + " in the " + (chat ? "messages" : "prompt") + ", " +
                          std::to_string(job->maxTokens) + " in the completion). Please reduce the length of the " +
                          (chat ? "messages" : "prompt") + " or completion.",
                      "invalid_request_error", "context_length_exceeded");
            return;
        }
    } else {
        if (job->promptTokens >= context) {
            sendError(res, 400,
                      "This model's maximum context length is " + std::to_string(context) + " tokens. However, the " +
                          (chat ? "messages" : "prompt") + " take " + std::to_string(job->promptTokens) +
                          " tokens, which leaves no room for a completion.",
                      "invalid_request_error", "context_length_exceeded");
            return;
        }
        job->maxTokens = std::min(m_options.defaultMaxTokens, context - job->promptTokens);
    }
    job->request = std::move(request);

    {
        std::lock_guard<std::mutex> lock(m_mutex);
        if (m_stopping) {
            sendError(res, 503, "the server is shutting down", "server_error");
            return;
        }
        m_queue.push_back(job);
    }
    m_wake.notify_all();

    if (job->request.stream) {
        res.set_header("Cache-Control", "no-cache");
        res.set_chunked_content_provider(
            "text/event-stream",
            [job](size_t, httplib::DataSink& sink) {
                std::deque<std::string> ready;
                bool finished;
                {
                    std::unique_lock<std::mutex> lock(job->mutex);
                    job->changed.wait_for(lock, std::chrono::milliseconds(250),
                                          [&] { return !job->chunks.empty() || job->finished; });
                    ready.swap(job->chunks);
                    finished = job->finished;
                }
                // While the request waits in the queue or its prompt is being prefilled (minutes for a long
                // context), an SSE comment every second is the only way to notice a client that went away.
                const auto now = std::chrono::steady_clock::now();
                if (ready.empty() && !finished && now - job->lastWrite >= std::chrono::seconds(1))
                    ready.push_back(": keep-alive\n\n");
                for (const std::string& chunk : ready) {
                    if (!sink.write(chunk.data(), chunk.size())) {  // the client went away
                        job->cancel.store(true);
                        return false;
                    }
                    job->lastWrite = now;
                }
                if (finished) sink.done();
                return true;
            },
            [job](bool success) {
                if (!success) job->cancel.store(true);
            });
        return;
    }

    std::unique_lock<std::mutex> lock(job->mutex);
    job->changed.wait(lock, [&] { return job->finished; });
    if (!job->error.empty()) {
        sendError(res, 500, job->error, "server_error");
    } else if (job->response.is_null()) {
        sendError(res, 503, "the request was cancelled (the server is shutting down)", "server_error");
    } else {
        res.set_content(dumpJson(job->response), "application/json");
    }
}

void ChatServer::workerLoop() {
    for (;;) {
        std::shared_ptr<Job> job;
        {
            std::unique_lock<std::mutex> lock(m_mutex);
            m_wake.wait(lock, [&] { return m_stopping || !m_queue.empty(); });
            if (m_queue.empty()) return;  // stopping
            job = m_queue.front();
            m_queue.pop_front();
            m_current = job;
            if (m_stopping) job->cancel.store(true);
        }
        if (!job->cancel.load()) {
            try {
                runJob(*job);
            } catch (const std::exception& e) {  // never let one request take the server down
                std::lock_guard<std::mutex> lock(job->mutex);
                job->error = std::string("internal error: ") + e.what();
                if (job->request.stream)
                    job->chunks.push_back(ResponseBuilder::sse(errorBody(job->error, "server_error")) +
                                          ResponseBuilder::sseDone());
            }
        }
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_current.reset();
        }
        {
            std::lock_guard<std::mutex> lock(job->mutex);
            job->finished = true;
        }
        job->changed.notify_all();
    }
}

void ChatServer::runJob(Job& job) {
    const auto t0 = std::chrono::steady_clock::now();
    auto push = [&job](const std::vector<json>& chunks) {
        if (!job.request.stream || chunks.empty()) return;
        {
            std::lock_guard<std::mutex> lock(job.mutex);
            for (const json& c : chunks) job.chunks.push_back(ResponseBuilder::sse(c));
        }
        job.changed.notify_all();
    };
    push(job.builder.start());

    GenerationCallbacks callbacks;
    callbacks.progress = [&job](const PrefillProgress&) { return !job.cancel.load(); };
    callbacks.text = [&](const std::string& delta) {
        push(job.builder.feed(delta));
        return !job.cancel.load();
    };
    QString error;
    GenerationStats stats;
    const bool reuses = !m_keptPrefix.empty() && job.prefixIds.size() >= m_keptPrefix.size() &&
                        std::equal(m_keptPrefix.begin(), m_keptPrefix.end(), job.prefixIds.begin());
    const int64_t cached = reuses ? int64_t(m_keptPrefix.size()) : 0;
    bool ok = m_backend.preparePrefix(job.prefixIds, callbacks, job.cancel, &error);
    if (ok)
        m_keptPrefix = job.prefixIds;
    else
        m_keptPrefix.clear();  // unknown: report no reuse next time rather than a wrong one
    if (ok) {
        SamplingSettings sampling;
        sampling.temperature = job.request.temperature;
        sampling.topP = job.request.topP;
        sampling.topK = job.request.topK;
        sampling.seed = job.request.seed ? *job.request.seed : std::random_device{}();
        sampling.maxOutputTokens = int(std::min<int64_t>(job.maxTokens, INT32_MAX));
        ok = m_backend.generate(job.suffix, sampling, callbacks, job.cancel, &stats, &error);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!error.isEmpty()) {
        std::lock_guard<std::mutex> lock(job.mutex);
        job.error = "generation failed: " + error.toStdString();
        if (job.request.stream)
            job.chunks.push_back(ResponseBuilder::sse(errorBody(job.error, "server_error")) +
                                 ResponseBuilder::sseDone());
    } else if (ok && !job.cancel.load()) {
        Usage usage{job.promptTokens, stats.generatedTokens, cached};
        const bool outOfTokens = !stats.stoppedAtEnd && stats.generatedTokens >= job.maxTokens;
        push(job.builder.finish(outOfTokens, usage, job.request.includeUsage));
        std::lock_guard<std::mutex> lock(job.mutex);
        if (job.request.stream)
            job.chunks.push_back(ResponseBuilder::sseDone());
        else
            job.response = job.builder.response(usage);
    }
    if (m_options.log) {
        std::fprintf(stderr, "%s %s: %lld prompt tokens (%lld cached), %lld generated in %.3f s: %s\n",
                     job.request.kind == ResponseBuilder::Kind::Chat ? "chat" : "completion",
                     job.request.stream ? "stream" : "response", (long long)job.promptTokens, (long long)cached,
                     (long long)stats.generatedTokens, seconds,
                     !error.isEmpty()    ? error.toUtf8().constData()
                     : job.cancel.load() ? "cancelled (client gone)"
                                         : job.builder.finishReason().c_str());
    }
}

}  // namespace m1::app
