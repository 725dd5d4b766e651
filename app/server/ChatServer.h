// `m1 serve`: an OpenAI-compatible HTTP server over one ModelBackend (the embedded engine, or any backend a test
// scripts), with MiniMax-M1 semantics as vLLM serves them (see ResponseBuilder):
//   GET  /v1/models             the one served model (with "m1studio_random_weights": true for a demo model)
//   POST /v1/chat/completions   messages (+ tools) rendered with M1's chat template; stream true gives SSE chunks
//                               ("data: {...}" ... "data: [DONE]"), stream false one JSON response
//   POST /v1/completions        a raw prompt, continued as it is
//   GET  /health                200 when the server runs
// With an API key, every /v1 request needs "Authorization: Bearer KEY" (else 401). Bad requests get 400 with the
// reason; a prompt that does not leave max_tokens of room in the model's context gets 400 with the counts.
//
// Scheduling: one engine worker thread serves the requests in the order they arrived (one at a time: the engine
// runs one sequence). HTTP connections are handled by cpp-httplib's thread pool; a streaming connection waits
// for its request's chunks, and a client that goes away (a chunk cannot be written) cancels its request at the
// next token or prefill chunk, so the worker moves on to the next request. While a streaming request is queued or
// prefilling, an SSE comment (": keep-alive") is written after each second of silence, so a client that left is
// noticed then too (OpenAI clients skip comment lines). A non-streaming request runs to its end. Prefix reuse: the
// prompt is split before its last <beginning_of_sentence> (the generation prompt, for chat) and the part before it is
// the backend's kept prefix, so a conversation that grows by turns only prefills its new turns.
//
// Ownership: the server borrows the backend, which must outlive it. Thread-safety: start()/stop() from one
// thread; stop() may be called while run() blocks in another.
#pragma once

#include "app/backends/ModelBackend.h"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace m1::app {

struct ServerOptions {
    std::string host = "127.0.0.1";  // loopback unless told otherwise
    int port = 8000;                 // 0: any free port (port() says which)
    std::string apiKey;              // empty: no authentication
    std::string modelName = "MiniMax-M1";
    // max_tokens when a request gives none: M1-40k's output budget, or what is left of the context if less.
    int64_t defaultMaxTokens = 40960;
    bool log = false;  // one line per request on stderr
};

class ChatServer {
public:
    ChatServer(ModelBackend& backend, ServerOptions options);
    ~ChatServer();
    ChatServer(const ChatServer&) = delete;
    ChatServer& operator=(const ChatServer&) = delete;

    // Binds the port and starts the engine worker. false with *error (e.g. the port is taken).
    bool bind(std::string* error);
    // Serves until stop(). Call after bind().
    void run();
    // bind() + run() on a background thread (tests).
    bool start(std::string* error);
    // Stops accepting, cancels the running request and the queued ones, joins the threads. Idempotent.
    void stop();

    int port() const { return m_port; }
    // "http://HOST:PORT/v1"
    std::string url() const;

private:
    struct Job;

    void routes();
    bool authorized(const httplib::Request& req, httplib::Response& res) const;
    void handleGeneration(int kind, const httplib::Request& req, httplib::Response& res);
    void workerLoop();
    void runJob(Job& job);

    ModelBackend& m_backend;
    ServerOptions m_options;
    std::unique_ptr<httplib::Server> m_http;
    int m_port = -1;
    int64_t m_started = 0;

    std::mutex m_mutex;  // guards the queue, m_current and m_stopping
    std::condition_variable m_wake;
    std::deque<std::shared_ptr<Job>> m_queue;
    std::shared_ptr<Job> m_current;
    bool m_stopping = false;
    std::thread m_worker, m_listener;
    // The prefix the backend keeps after the last request (worker thread only). A prompt whose prefix equals or
    // extends it is served from it (ModelBackend keeps an equal prefix; EngineBackend also continues one it
    // extends), which usage reports as cached tokens.
    std::vector<int32_t> m_keptPrefix;
};

}  // namespace m1::app
