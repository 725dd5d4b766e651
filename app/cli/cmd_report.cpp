#include "app/cli/ask_runner.h"
#include "app/cli/command.h"
#include "app/report/ReportWriter.h"

#include <QGuiApplication>

#include <cstdio>
#include <memory>

namespace m1::cli {

int run_report(const std::vector<std::string>& args) {
    arg_parser p("report", "--session FILE --out FILE [--no-reasoning]",
                 "Renders a saved conversation (from `m1 ask --save` or the desktop app) as a report: Markdown, HTML "
                 "or PDF, chosen by the extension of --out. The same session always gives the same report.");
    p.option("--session", "FILE", "The saved conversation.")
        .option("--out", "FILE", "The report to write: .md, .html or .pdf.")
        .flag("--no-reasoning", "Leave the reasoning appendix out.");
    if (int rc = parse_or_exit(p, args); rc >= 0) return rc;
    if (!p.has("--session") || !p.has("--out")) {
        std::fprintf(stderr, "m1 report: give --session FILE and --out FILE\n");
        return 2;
    }
    const QString out = QString::fromStdString(*p.value("--out"));
    std::unique_ptr<QGuiApplication> gui = gui_for_report(*p.value("--out"));
    m1::app::Conversation conv;
    QString error;
    if (!conv.load(QString::fromStdString(*p.value("--session")), &error)) return fail("report", error.toStdString());
    m1::app::ReportOptions options;
    options.includeReasoning = !p.has("--no-reasoning");
    if (!m1::app::ReportWriter::write(conv, out, options, &error)) return fail("report", error.toStdString());
    std::printf("wrote %s\n", out.toUtf8().constData());
    return 0;
}

}  // namespace m1::cli
