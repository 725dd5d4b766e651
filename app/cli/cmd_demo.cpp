// m1 demo: the README's run command without a display. Runs a real `m1 ask` over the demo workspace with the demo
// model (tiny, random weights, made on first use with `m1 make-model --preset tiny`) and writes a report.
#include "app/cli/ask_runner.h"
#include "app/cli/command.h"
#include "app/core/Resources.h"
#include "app/core/Workspace.h"


#include <cstdio>
#include <filesystem>

namespace m1::cli {

int run_make_model(const std::vector<std::string>& args);

namespace {

// Makes the demo model once; a half-written folder from an interrupted run is never mistaken for a model because
// the model is written beside its final name and renamed into place.
bool ensureDemoModel(const std::string& dir) {
    namespace fs = std::filesystem;
    if (fs::exists(fs::path(dir) / "model.safetensors.index.json")) return true;
    const std::string partial = dir + ".partial";
    std::error_code ec;
    fs::remove_all(partial, ec);
    fs::create_directories(fs::path(dir).parent_path(), ec);
    std::fprintf(stderr, "making the demo model (tiny, random weights) in %s\n", dir.c_str());
    if (run_make_model({"--preset", "tiny", "--seed", "1", "--out", partial}) != 0) return false;
    fs::remove_all(dir, ec);
    fs::rename(partial, dir, ec);
    if (ec) std::fprintf(stderr, "m1 demo: cannot move %s to %s (%s)\n", partial.c_str(), dir.c_str(), ec.message().c_str());
    return !ec;
}

}  // namespace

int run_demo(const std::vector<std::string>& args) {
    arg_parser p("demo", "[--workspace FILE] [--model DIR] [--report FILE] [--max-tokens N]",
                 "Runs the demo without a display: asks two questions about the demo workspace with the demo model "
                 "(tiny, RANDOM WEIGHTS, so its answers are noise; it exercises the whole pipeline), streams the "
                 "answers and writes a report. The desktop application shows the same workspace.");
    p.option("--workspace", "FILE", "Workspace file to use instead of the bundled demo (resources/demo/workspace.json).")
        .option("--model", "DIR", "Model directory to use instead of the demo model (made on first use).")
        .option("--report", "FILE", "Where to write the report (default: ~/.cache/m1studio/demo-report.md).")
        .option("--max-tokens", "N", "Output budget per question (default 48: the demo model's answers are noise).");
    if (int rc = parse_or_exit(p, args); rc >= 0) return rc;

    const QString file = p.has("--workspace") ? QString::fromStdString(*p.value("--workspace"))
                                              : m1::app::demoWorkspaceFile();
    if (file.isEmpty()) return fail("demo", "the demo workspace was not found (set M1_RESOURCES_DIR)");
    m1::app::Workspace workspace;
    QString error;
    if (!workspace.load(file, &error)) return fail("demo", error.toStdString());
    std::printf("M1 Studio demo (headless): workspace \"%s\" from %s\n", workspace.name().toUtf8().constData(),
                file.toUtf8().constData());

    ask_plan plan;
    for (const m1::app::WorkspaceSource& s : workspace.sources())
        if (s.included) plan.sources.push_back(workspace.absolutePath(s).toStdString());
    plan.model_dir = p.value_or("--model", m1::app::demoModelDir().toStdString());
    if (!p.has("--model") && !ensureDemoModel(plan.model_dir)) return fail("demo", "could not make the demo model");
    plan.report = p.value_or("--report", (m1::app::cacheDir() + QStringLiteral("/demo-report.md")).toStdString());
    if (!p.int_value("--max-tokens", plan.max_tokens, 48)) return fail("demo", p.error());
    plan.seed = 1;
    plan.questions = {"Which clause limits the Supplier's liability, and to how much?",
                      "How can either party end the agreement?"};
    return run_ask_plan(plan);
}

}  // namespace m1::cli
