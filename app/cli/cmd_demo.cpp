#include "app/cli/command.h"
#include "app/core/Resources.h"
#include "app/core/Workspace.h"
#include "ingest/text/text_reader.h"

#include <cstdio>

namespace m1::cli {

int run_demo(const std::vector<std::string>& args) {
    arg_parser p("demo", "[--workspace FILE]",
                 "Runs the demo workspace without a display: loads the workspace, reads every included source into "
                 "anchored segments, and prints what it did. The desktop application shows the same workspace.");
    p.option("--workspace", "FILE", "Workspace file to use instead of the bundled demo (resources/demo/workspace.json).");
    if (int rc = parse_or_exit(p, args); rc >= 0) return rc;

    const QString file = p.has("--workspace") ? QString::fromStdString(*p.value("--workspace"))
                                              : m1::app::demoWorkspaceFile();
    if (file.isEmpty()) return fail("demo", "the demo workspace was not found (set M1_RESOURCES_DIR)");
    m1::app::Workspace workspace;
    QString error;
    if (!workspace.load(file, &error)) return fail("demo", error.toStdString());

    std::printf("M1 Studio demo (headless): workspace \"%s\" from %s\n", workspace.name().toUtf8().constData(),
                file.toUtf8().constData());
    int read = 0, failed = 0;
    size_t segments = 0, bytes = 0;
    for (const m1::app::WorkspaceSource& s : workspace.sources()) {
        const std::string path = workspace.absolutePath(s).toStdString();
        if (!s.included) {
            std::printf("  skipped  %s (excluded)\n", s.path.toUtf8().constData());
            continue;
        }
        try {
            m1::ingest::source src = m1::ingest::read_text_file(path);
            size_t source_bytes = 0;
            for (const auto& seg : src.segments) source_bytes += seg.text.size();
            const int lines = src.segments.empty() ? 0 : src.segments.back().where.line_end;
            std::printf("  read     %-40s %s, %d lines, %zu segments, %zu bytes\n", s.path.toUtf8().constData(),
                        m1::ingest::to_string(src.kind), lines, src.segments.size(), source_bytes);
            segments += src.segments.size();
            bytes += source_bytes;
            ++read;
        } catch (const m1::ingest::ingest_error& e) {
            std::printf("  failed   %s: %s\n", s.path.toUtf8().constData(), e.what());
            ++failed;
        }
    }
    std::printf("sources: %d read, %d failed; %zu segments, %zu bytes\n", read, failed, segments, bytes);
    std::printf("model: demo model (tiny, RANDOM WEIGHTS: its answers are noise, not analysis)\n");
    return failed == 0 ? 0 : 1;
}

}  // namespace m1::cli
