#include "app/backends/RemoteBackend.h"

#include "app/server/ChatStreamReader.h"
#include "app/server/ResponseBuilder.h"  // dumpJson
#include "engine/tokenizer/tokenizer.h"

#include <chrono>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

namespace m1::app {

using json = nlohmann::ordered_json;

namespace {

constexpr std::string_view kBegin = "<beginning_of_sentence>";
constexpr std::string_view kEnd = "<end_of_sentence>";
constexpr std::string_view kDocument = "<begin_of_document>";

json textParts(std::string text) {
    return json::array({json{{"type", "text"}, {"text", std::move(text)}}});
}

// Reads M1 chat-format text (render_chat's output) back into messages and tools; false when it is not that format.
bool parseM1Prompt(std::string_view p, json* messages, json* tools) {
    if (p.substr(0, kDocument.size()) != kDocument) return false;
    p.remove_prefix(kDocument.size());
    while (!p.empty()) {
        if (p.substr(0, kBegin.size()) != kBegin) return false;
        p.remove_prefix(kBegin.size());
        const size_t nl = p.find('\n');
        if (nl == std::string_view::npos) return false;
        const std::string_view header = p.substr(0, nl);
        p.remove_prefix(nl + 1);
        const size_t end = p.find(kEnd);
        if (end == std::string_view::npos) {
            // Only the generation prompt may stay open, and it must be the end of the text.
            return header.substr(0, 3) == "ai " && p.empty();
        }
        const std::string body(p.substr(0, end));
        p.remove_prefix(end + kEnd.size());
        if (!p.empty() && p.front() == '\n') p.remove_prefix(1);
        if (header.substr(0, 20) == "system tool_setting=") {
            const size_t open = body.find("<tools>\n"), close = body.find("</tools>");
            if (open == std::string::npos || close == std::string::npos || close < open) return false;
            std::string_view list(body.data() + open + 8, close - open - 8);
            while (!list.empty()) {
                const size_t eol = list.find('\n');
                const std::string_view one = list.substr(0, eol);
                list.remove_prefix(eol == std::string_view::npos ? list.size() : eol + 1);
                if (one.empty()) continue;
                json tool = json::parse(one, nullptr, false);
                if (tool.is_discarded()) return false;
                tools->push_back(std::move(tool));
            }
        } else if (header.substr(0, 7) == "system ") {
            messages->push_back(json{{"role", "system"}, {"content", textParts(body)}});
        } else if (header.substr(0, 5) == "user ") {
            messages->push_back(json{{"role", "user"}, {"content", textParts(body)}});
        } else if (header.substr(0, 3) == "ai ") {
            messages->push_back(json{{"role", "assistant"}, {"content", textParts(body)}});
        } else if (header.substr(0, 5) == "tool ") {
            // "tool name: N\ntool result: T\n\n" per result
            static const std::regex one("tool name: ([^\\n]*)\\ntool result: ([\\s\\S]*?)\\n\\n");
            bool any = false;
            for (std::sregex_iterator it(body.begin(), body.end(), one), last; it != last; ++it) {
                messages->push_back(json{{"role", "tool"}, {"name", (*it)[1].str()}, {"content", (*it)[2].str()}});
                any = true;
            }
            if (!any) return false;
        } else {
            return false;
        }
    }
    return false;  // a prompt without a generation prompt is not one the app builds
}

void sleepUnlessCancelled(double seconds, const std::atomic<bool>& cancel) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (!cancel.load() && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
}

std::string serverMessage(const std::string& body) {
    const json j = json::parse(body, nullptr, false);
    if (j.is_object()) {
        if (j.contains("error") && j["error"].is_object() && j["error"].contains("message"))
            return j["error"]["message"].is_string() ? j["error"]["message"].get<std::string>() : j["error"].dump();
        if (j.contains("message") && j["message"].is_string()) return j["message"].get<std::string>();
    }
    std::string s = body.substr(0, 300);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s.empty() ? "(no message)" : s;
}

void applyTimeouts(httplib::Client& client, const RemoteSettings& s) {
    auto split = [](double seconds, auto set) {
        const auto us = int64_t(seconds * 1e6);
        set(time_t(us / 1000000), time_t(us % 1000000));
    };
    split(s.connectTimeoutS, [&](time_t a, time_t b) { client.set_connection_timeout(a, b); });
    split(s.readTimeoutS, [&](time_t a, time_t b) { client.set_read_timeout(a, b); });
    split(s.readTimeoutS, [&](time_t a, time_t b) { client.set_write_timeout(a, b); });
}

}  // namespace

RemoteBackend::~RemoteBackend() = default;

std::unique_ptr<RemoteBackend> RemoteBackend::open(const RemoteSettings& settings, QString* error) {
    if (settings.tokenizerPath.empty()) {
        *error = QStringLiteral("a remote endpoint needs a local tokenizer.json to count the context (for "
                                "MiniMax-M1, the model's own)");
        return nullptr;
    }
    try {
        return open(settings, m1::tokenizer::load(settings.tokenizerPath), error);
    } catch (const std::exception& e) {
        *error = QString::fromUtf8(e.what());
        return nullptr;
    }
}

std::unique_ptr<RemoteBackend> RemoteBackend::open(const RemoteSettings& settings,
                                                   std::shared_ptr<const m1::tokenizer> tokenizer, QString* error) {
    std::unique_ptr<RemoteBackend> b(new RemoteBackend);
    b->m_tokenizer = std::move(tokenizer);
    b->m_settings = settings;
    static const std::regex url_re(R"(^(https?://[^/?#]+)(/[^?#]*)?$)", std::regex::icase);
    std::smatch m;
    if (!std::regex_match(settings.url, m, url_re)) {
        *error = QStringLiteral("%1: not an http:// or https:// URL of an OpenAI-compatible server")
                     .arg(QString::fromStdString(settings.url));
        return nullptr;
    }
    b->m_scheme_host_port = m[1].str();
    b->m_basePath = m[2].matched ? m[2].str() : std::string();
    while (!b->m_basePath.empty() && b->m_basePath.back() == '/') b->m_basePath.pop_back();
    if (b->m_basePath.empty()) b->m_basePath = "/v1";
    if (!b->m_tokenizer) {
        *error = QStringLiteral("a remote endpoint needs a local tokenizer to count the context");
        return nullptr;
    }
    if (b->m_settings.modelName.empty()) {
        httplib::Client client(b->m_scheme_host_port);
        RemoteSettings quick = settings;
        quick.readTimeoutS = std::min(settings.readTimeoutS, 30.0);
        applyTimeouts(client, quick);
        httplib::Headers headers;
        if (!settings.apiKey.empty()) headers.emplace("Authorization", "Bearer " + settings.apiKey);
        const std::string where = b->m_scheme_host_port + b->m_basePath + "/models";
        httplib::Result r = client.Get(b->m_basePath + "/models", headers);
        if (!r) {
            *error = QStringLiteral("%1: cannot ask the server for its models (%2)")
                         .arg(QString::fromStdString(where), QString::fromStdString(httplib::to_string(r.error())));
            return nullptr;
        }
        if (r->status != 200) {
            *error = QStringLiteral("%1: HTTP %2: %3")
                         .arg(QString::fromStdString(where))
                         .arg(r->status)
                         .arg(QString::fromStdString(serverMessage(r->body)));
            return nullptr;
        }
        const json j = json::parse(r->body, nullptr, false);
        if (!j.is_object() || !j.contains("data") || !j["data"].is_array() || j["data"].empty() ||
            !j["data"][0].is_object() || !j["data"][0].contains("id") || !j["data"][0]["id"].is_string()) {
            *error = QStringLiteral("%1: the answer lists no model").arg(QString::fromStdString(where));
            return nullptr;
        }
        b->m_settings.modelName = j["data"][0]["id"].get<std::string>();
        b->m_info.randomWeights = j["data"][0].value("m1studio_random_weights", false);
    }
    b->m_info.name = QString::fromStdString(b->m_settings.modelName);
    b->m_info.location = QString::fromStdString(b->m_scheme_host_port + b->m_basePath);
    b->m_info.backend = QStringLiteral("remote");
    return b;
}

bool RemoteBackend::preparePrefix(const std::vector<int32_t>& prefixIds, const GenerationCallbacks& callbacks,
                                  const std::atomic<bool>&, QString* error) {
    error->clear();
    m_prefixText = m_tokenizer->decode(prefixIds);
    const qint64 n = qint64(prefixIds.size());
    if (callbacks.progress) callbacks.progress({n, n, 0});
    return true;
}

std::string RemoteBackend::messagesJson(const std::string& prompt) {
    json messages = json::array(), tools = json::array();
    if (!parseM1Prompt(prompt, &messages, &tools)) {
        messages = json::array({json{{"role", "user"}, {"content", textParts(prompt)}}});
        tools = json::array();
    }
    json out{{"messages", messages}};
    if (!tools.empty()) out["tools"] = tools;
    return dumpJson(out);
}

std::string RemoteBackend::requestBody(const std::string& prompt, const SamplingSettings& sampling) const {
    json body{{"model", m_settings.modelName}};
    body.update(json::parse(messagesJson(prompt)));
    body["stream"] = true;
    body["stream_options"] = json{{"include_usage", true}};
    body["max_tokens"] = sampling.maxOutputTokens;
    body["temperature"] = sampling.temperature;
    body["top_p"] = sampling.topP;
    if (sampling.topK > 0) body["top_k"] = sampling.topK;
    body["seed"] = int64_t(sampling.seed & 0x7fffffffffffffffULL);
    return dumpJson(body);
}

bool RemoteBackend::generate(const std::string& suffix, const SamplingSettings& sampling,
                             const GenerationCallbacks& callbacks, const std::atomic<bool>& cancel,
                             GenerationStats* stats, QString* error) {
    error->clear();
    *stats = {};
    const std::string prompt = m_prefixText + suffix;
    const std::string body = requestBody(prompt, sampling);
    const std::string where = m_scheme_host_port + m_basePath + "/chat/completions";
    const auto t0 = std::chrono::steady_clock::now();
    auto since = [&](std::chrono::steady_clock::time_point t) {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
    };
    auto failWith = [&](const std::string& message) {
        *error = QString::fromStdString(where + ": " + message);
        return false;
    };

    for (int attempt = 0;; ++attempt) {
        if (cancel.load()) {
            stats->cancelled = true;
            return false;
        }
        httplib::Client client(m_scheme_host_port);
        applyTimeouts(client, m_settings);
        client.set_keep_alive(false);

        ChatStreamReader reader;
        int status = -1;
        std::string errorText;
        bool gotBytes = false, malformed = false, stoppedByCaller = false, firstText = true;
        std::chrono::steady_clock::time_point firstAt;
        std::vector<std::string> pieces;

        httplib::Request request;
        request.method = "POST";
        request.path = m_basePath + "/chat/completions";
        request.body = body;
        request.set_header("Content-Type", "application/json");
        request.set_header("Accept", "text/event-stream");
        if (!m_settings.apiKey.empty()) request.set_header("Authorization", "Bearer " + m_settings.apiKey);
        request.response_handler = [&](const httplib::Response& r) {
            status = r.status;
            return !cancel.load();
        };
        auto deliver = [&](std::vector<std::string>& texts) {
            for (const std::string& t : texts) {
                if (firstText) {
                    firstText = false;
                    firstAt = std::chrono::steady_clock::now();
                    stats->timeToFirstTokenS = since(t0);
                }
                if (callbacks.text && !callbacks.text(t)) {
                    stoppedByCaller = true;
                    return false;
                }
            }
            texts.clear();
            return true;
        };
        request.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
            if (cancel.load()) return false;
            if (status != 200) {
                if (errorText.size() < 65536) errorText.append(data, n);
                return true;
            }
            gotBytes = true;
            // What came before a malformed line is still delivered; then the stream is given up.
            malformed = !reader.feed(std::string_view(data, n), &pieces);
            return deliver(pieces) && !malformed;
        };

        // Cancel must also work while the server is silent: a watcher closes the socket under the blocked read.
        std::atomic<bool> finished{false};
        std::thread watcher([&] {
            while (!finished.load()) {
                if (cancel.load()) client.stop();
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
        });
        httplib::Response response;
        httplib::Error httpError = httplib::Error::Success;
        const bool sent = client.send(request, response, httpError);
        finished.store(true);
        watcher.join();

        if (cancel.load() || stoppedByCaller) {
            stats->cancelled = true;
            stats->generatedTokens = reader.deltas();
            return false;
        }
        if (malformed) return failWith(reader.error());
        const bool retryable =
            !gotBytes && attempt < m_settings.maxRetries &&
            ((!sent && status < 0 &&
              (httpError == httplib::Error::Connection || httpError == httplib::Error::ConnectionTimeout)) ||
             status == 429 || status == 502 || status == 503 || status == 504);
        if (retryable) {
            sleepUnlessCancelled(m_settings.firstBackoffS * double(1 << attempt), cancel);
            continue;
        }
        const std::string attempts = attempt > 0 ? " (after " + std::to_string(attempt + 1) + " attempts)" : "";
        if (status > 0 && status != 200)
            return failWith("HTTP " + std::to_string(status) + attempts + ": " + serverMessage(errorText));
        if (!sent) {
            if (status < 0 &&
                (httpError == httplib::Error::Connection || httpError == httplib::Error::ConnectionTimeout))
                return failWith("cannot connect (" + httplib::to_string(httpError) + ")" + attempts);
            if (httpError == httplib::Error::Read && !gotBytes)
                return failWith("no answer within the read timeout of " + std::to_string(int(m_settings.readTimeoutS)) +
                                " s");
            if (gotBytes)
                return failWith("the stream broke off (nothing for " + std::to_string(int(m_settings.readTimeoutS)) +
                                " s, or the connection closed): " + httplib::to_string(httpError));
            return failWith("the request failed: " + httplib::to_string(httpError));
        }
        if (!reader.finish(&pieces)) return failWith(reader.error());
        if (!deliver(pieces)) {
            stats->cancelled = true;
            return false;
        }
        stats->promptTokens = reader.hasUsage() ? reader.promptTokens() : qint64(m_tokenizer->count(prompt));
        stats->reusedTokens = reader.cachedTokens();
        stats->generatedTokens = reader.hasUsage() ? reader.completionTokens() : reader.deltas();
        stats->decodeSeconds = firstText ? 0 : since(firstAt);
        stats->stoppedAtEnd = reader.finishReason() == "stop" || reader.finishReason() == "tool_calls";
        return true;
    }
}

}  // namespace m1::app
