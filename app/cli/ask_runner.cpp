#include "app/cli/ask_runner.h"

#include "app/backends/EngineBackend.h"
#include "app/backends/RemoteBackend.h"
#include "app/cli/command.h"
#include "app/report/ReportWriter.h"
#include "app/session/AnalysisSession.h"
#include "ingest/read_any.h"

#include <QGuiApplication>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

namespace m1::cli {
namespace {

std::atomic<bool> g_interrupted{false};

void on_sigint(int) { g_interrupted.store(true); }

std::string read_questions(const std::string& file, std::vector<std::string>* out) {
    std::ifstream in(file);
    if (!in) return file + ": cannot open the questions file";
    std::stringstream buf;
    buf << in.rdbuf();
    const std::string text = buf.str();
    if (file.size() > 5 && file.substr(file.size() - 5) == ".json") {
        const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
        if (!j.is_array()) return file + ": expected a JSON array of question strings";
        for (const auto& q : j) {
            if (!q.is_string()) return file + ": expected a JSON array of question strings";
            out->push_back(q.get<std::string>());
        }
    } else {
        std::istringstream lines(text);
        for (std::string line; std::getline(lines, line);) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.find_first_not_of(" \t") != std::string::npos) out->push_back(line);
        }
    }
    return out->empty() ? file + ": no questions in the file" : std::string();
}

const char* status_mark(m1::app::Citation::Status s) {
    switch (s) {
    case m1::app::Citation::Status::Verified: return "verified    ";
    case m1::app::Citation::Status::Unverified: return "unverified  ";
    case m1::app::Citation::Status::Unresolvable: return "unresolvable";
    case m1::app::Citation::Status::Pending: return "pending     ";
    }
    return "";
}

// Rewrites one stderr line at most every 200 ms.
class progress_line {
public:
    void show(const m1::app::PrefillProgress& p, const char* what) {
        const auto now = std::chrono::steady_clock::now();
        if (p.done < p.total && now - m_last < std::chrono::milliseconds(200)) return;
        m_last = now;
        std::fprintf(stderr, "\r%s: %lld / %lld tokens · %.0f tok/s · ETA %.0f s   ", what, (long long)p.done,
                     (long long)p.total, p.tokensPerSecond(), p.etaSeconds());
        if (p.done >= p.total) std::fputc('\n', stderr);
        std::fflush(stderr);
    }

private:
    std::chrono::steady_clock::time_point m_last{};
};

}  // namespace

std::unique_ptr<QGuiApplication> gui_for_report(const std::string& report) {
    if (!QString::fromStdString(report).endsWith(QLatin1String(".pdf"), Qt::CaseInsensitive)) return nullptr;
    if (qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY") &&
        qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    static int argc = 1;
    static char name[] = "m1";
    static char* argv[] = {name, nullptr};
    return std::make_unique<QGuiApplication>(argc, argv);
}

void add_ask_options(arg_parser& p) {
    p.option("--model", "DIR", "MiniMax-M1 checkpoint directory (config.json, safetensors + index, tokenizer.json).")
        .option("--endpoint", "URL", "An OpenAI-compatible server instead of a local model.")
        .option("--api-key", "KEY", "API key of the --endpoint server (default: env M1_API_KEY).")
        .option("--model-name", "NAME", "Model name at the --endpoint server (default: the first it lists).")
        .option("--tokenizer", "FILE", "tokenizer.json that counts the context for --endpoint (default: env M1_TOKENIZER).")
        .option("--backend", "cpu|cuda", "Where the local model runs (default cpu).")
        .option("--source", "PATH", "A PDF, DOCX contract, text file or git repository (path or URL).", true)
        .option("--question", "TEXT", "A question; give several for a conversation (each reuses the prefill).", true)
        .option("--questions", "FILE", "Questions, one per line (or a JSON array of strings in a .json file).")
        .option("--report", "FILE", "Write a report: .md, .html or .pdf.")
        .option("--save", "FILE", "Save the conversation (versioned JSON) for `m1 report` and the desktop app.")
        .option("--system", "TEXT", "System prompt (default: the preset's).")
        .option("--preset", "NAME", "System prompt preset: general, webdev or math (default general).")
        .option("--temperature", "T", "Sampling temperature (default 1.0, as recommended for MiniMax-M1).")
        .option("--top-p", "P", "Nucleus sampling mass (default 0.95).")
        .option("--top-k", "K", "Keep only the K most likely tokens (default 0 = off).")
        .option("--seed", "N", "Random seed (default 0).")
        .option("--max-tokens", "N", "Output budget for reasoning + answer, reserved in the context (default 40960).")
        .option("--ref", "REF", "Branch, tag or commit of git sources (default HEAD).")
        .option("--password", "P", "Password of encrypted PDFs.")
        .option("--include", "GLOB", "Keep only matching files and folders of repository sources.", true)
        .option("--exclude", "GLOB", "Leave matching files and folders of repository sources out.", true)
        .flag("--contract", "Read PDF sources as contracts (clause anchors).")
        .flag("--no-reasoning", "Do not print the reasoning (it is still saved and reported).")
        .flag("--report-without-reasoning", "Leave the reasoning appendix out of the report.");
}

std::string read_ask_plan(arg_parser& p, ask_plan* plan) {
    plan->model_dir = p.value_or("--model", "");
    plan->endpoint = p.value_or("--endpoint", "");
    if (plan->model_dir.empty() == plan->endpoint.empty()) return "give exactly one of --model DIR and --endpoint URL";
    plan->device = p.value_or("--backend", "cpu");
    plan->api_key = p.value_or("--api-key", qEnvironmentVariable("M1_API_KEY").toStdString());
    plan->model_name = p.value_or("--model-name", "");
    plan->tokenizer = p.value_or("--tokenizer", qEnvironmentVariable("M1_TOKENIZER").toStdString());
    if (!plan->endpoint.empty() && plan->tokenizer.empty())
        return "--endpoint needs --tokenizer FILE (or env M1_TOKENIZER): the context is counted locally";
    plan->sources = p.values("--source");
    if (plan->sources.empty()) return "give at least one --source PATH";
    plan->questions = p.values("--question");
    if (p.has("--questions")) {
        if (std::string why = read_questions(*p.value("--questions"), &plan->questions); !why.empty()) return why;
    }
    if (plan->questions.empty()) return "give --question TEXT or --questions FILE";
    plan->report = p.value_or("--report", "");
    plan->save = p.value_or("--save", "");
    plan->system_prompt = p.value_or("--system", "");
    plan->preset = p.value_or("--preset", "general");
    if (plan->preset != "general" && plan->preset != "webdev" && plan->preset != "math")
        return "--preset must be general, webdev or math";
    try {
        plan->temperature = std::stod(p.value_or("--temperature", "1.0"));
        plan->top_p = std::stod(p.value_or("--top-p", "0.95"));
    } catch (const std::exception&) {
        return "--temperature and --top-p expect numbers";
    }
    if (!p.int_value("--top-k", plan->top_k, 0) || !p.int_value("--seed", plan->seed, 0) ||
        !p.int_value("--max-tokens", plan->max_tokens, 40960))
        return p.error();
    if (plan->max_tokens < 1) return "--max-tokens must be at least 1";
    plan->ref = p.value_or("--ref", "HEAD");
    plan->password = p.value_or("--password", "");
    plan->include = p.values("--include");
    plan->exclude = p.values("--exclude");
    plan->contract = p.has("--contract");
    plan->quiet_reasoning = p.has("--no-reasoning");
    plan->include_reasoning = !p.has("--report-without-reasoning");
    return {};
}

int run_ask_plan(const ask_plan& plan) {
    using namespace m1::app;
    std::unique_ptr<QGuiApplication> gui = gui_for_report(plan.report);

    QString error;
    std::unique_ptr<ModelBackend> backend;
    if (!plan.endpoint.empty()) {
        RemoteSettings rs;
        rs.url = plan.endpoint;
        rs.apiKey = plan.api_key;
        rs.modelName = plan.model_name;
        rs.tokenizerPath = plan.tokenizer;
        std::fprintf(stderr, "connecting to %s...\n", plan.endpoint.c_str());
        backend = RemoteBackend::open(rs, &error);
    } else {
        std::fprintf(stderr, "loading model %s (%s)...\n", plan.model_dir.c_str(), plan.device.c_str());
        backend = EngineBackend::open(QString::fromStdString(plan.model_dir), QString::fromStdString(plan.device), &error);
    }
    if (!backend) return fail("ask", error.toStdString());
    const ModelInfo info = backend->info();
    if (info.randomWeights)
        std::printf("Model %s: RANDOM WEIGHTS (a demo model): its answers are noise, not analysis.\n",
                    info.name.toUtf8().constData());

    std::atomic<bool> cancel{false};
    g_interrupted.store(false);
    auto previous = std::signal(SIGINT, on_sigint);
    struct restore_signal {
        void (*handler)(int);
        ~restore_signal() { std::signal(SIGINT, handler); }
    } restore{previous};

    // Sources, in the order given; the context builder orders them by stability.
    std::vector<m1::ingest::source> sources;
    std::vector<bool> contract;
    for (const std::string& path : plan.sources) {
        m1::ingest::read_options o;
        o.ref = plan.ref;
        o.password = plan.password;
        o.include = plan.include;
        o.exclude = plan.exclude;
        o.contract = plan.contract;
        o.run.cancel = &g_interrupted;
        try {
            m1::ingest::read_result r = m1::ingest::read_path(path, o);
            for (auto& s : r.sources) {
                std::fprintf(stderr, "read %s: %s, %zu segments\n", path.c_str(), m1::ingest::to_string(s.kind),
                             s.segments.size());
                sources.push_back(std::move(s));
                contract.push_back(r.contract);
            }
        } catch (const std::exception& e) {
            return fail("ask", e.what());
        }
    }
    std::printf("sources: %zu read\n", sources.size());
    QList<ContextSource> contextSources;
    for (size_t i = 0; i < sources.size(); ++i) contextSources.append({&sources[i], bool(contract[i])});

    AnalysisSession session(*backend);
    const QString system = plan.system_prompt.empty() ? ContextBuilder::systemPromptPreset(QString::fromStdString(plan.preset))
                                                      : QString::fromStdString(plan.system_prompt);
    if (!session.setContext(system, contextSources, plan.max_tokens, &error)) return fail("ask", error.toStdString());
    std::fprintf(stderr, "context: %lld tokens in %lld sources\n", (long long)session.context().totalTokens,
                 (long long)session.context().sources.size());
    Conversation& conv = session.conversation();
    conv.title = QStringLiteral("M1 Studio: %1").arg(QString::fromStdString(plan.questions.front()));
    conv.sampling.temperature = plan.temperature;
    conv.sampling.topP = plan.top_p;
    conv.sampling.topK = int(plan.top_k);
    conv.sampling.seed = quint64(plan.seed);

    progress_line progress;
    bool failed = false;
    for (size_t qi = 0; qi < plan.questions.size() && !g_interrupted.load(); ++qi) {
        const QString question = QString::fromStdString(plan.questions[qi]);
        std::printf("\n=== Question %zu: %s\n", qi + 1, plan.questions[qi].c_str());
        std::fflush(stdout);
        bool inReasoning = false, answerStarted = false;
        AnalysisCallbacks cb;
        cb.prefill = [&](const PrefillProgress& p, bool prefix) {
            progress.show(p, prefix ? "prefill (sources)" : "prefill (question)");
            return !g_interrupted.load();
        };
        cb.reasoning = [&](const QString& delta) {
            if (!inReasoning) std::printf("\n--- Thinking...\n");
            inReasoning = true;
            if (!plan.quiet_reasoning) std::fputs(delta.toUtf8().constData(), stdout);
            std::fflush(stdout);
            return !g_interrupted.load();
        };
        cb.answer = [&](const QString& delta) {
            if (!answerStarted) std::printf("\n--- Answer:\n");
            answerStarted = true;
            std::fputs(delta.toUtf8().constData(), stdout);
            std::fflush(stdout);
            return !g_interrupted.load();
        };
        cb.toolCall = [&](const QString& name, const QString& argsJson) {
            std::printf("\n[tool call] %s %s\n", name.toUtf8().constData(), argsJson.toUtf8().constData());
        };
        if (!session.ask(question, cb, g_interrupted, &error)) {
            if (!error.isEmpty()) {
                std::fprintf(stderr, "\nm1 ask: %s\n", error.toUtf8().constData());
                failed = true;
                break;
            }
            std::printf("\n(stopped)\n");
        }
        if (conv.turns.size() <= qsizetype(qi)) break;
        const Turn& t = conv.turns.back();
        std::printf("\n\n--- Citations: %lld\n", (long long)t.citations.size());
        for (const Citation& c : t.citations)
            std::printf("  %s %s %s\n", status_mark(c.status), c.raw.toUtf8().constData(), c.note.toUtf8().constData());
        std::printf("--- %s%lld prompt tokens (%lld reused), %lld generated, first token after %.2f s, %.1f tok/s\n",
                    t.reasoning.isEmpty() ? "" : QStringLiteral("thought for %1 s, ").arg(t.stats.reasoningSeconds, 0, 'f', 1).toUtf8().constData(),
                    (long long)t.stats.promptTokens, (long long)t.stats.reusedTokens,
                    (long long)(t.stats.reasoningTokens + t.stats.answerTokens), t.stats.timeToFirstTokenS,
                    t.stats.tokensPerSecond);
        std::fflush(stdout);
    }

    if (!plan.save.empty()) {
        if (!conv.save(QString::fromStdString(plan.save), &error)) return fail("ask", error.toStdString());
        std::printf("saved the conversation to %s\n", plan.save.c_str());
    }
    if (!plan.report.empty()) {
        ReportOptions ro;
        ro.includeReasoning = plan.include_reasoning;
        if (!ReportWriter::write(conv, QString::fromStdString(plan.report), ro, &error))
            return fail("ask", error.toStdString());
        std::printf("wrote the report to %s\n", plan.report.c_str());
    }
    return failed ? 1 : (g_interrupted.load() ? 130 : 0);
}

}  // namespace m1::cli
