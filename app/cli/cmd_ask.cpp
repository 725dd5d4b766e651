// m1 ask: the whole workflow in a terminal. Reads the sources, renders them into one context, prefills it once, then
// asks each question, streaming the reasoning and the answer; prints the citations with their verification status
// and the stats; writes a report and the session when asked.
#include "app/backends/EngineBackend.h"
#include "app/cli/ask_runner.h"
#include "app/cli/command.h"

#include <cstdio>

namespace m1::cli {

int run_ask(const std::vector<std::string>& args) {
    arg_parser p("ask", "(--model DIR | --endpoint URL) --source PATH... (--question TEXT | --questions FILE) [options]",
                 "Asks questions about sources (PDFs, DOCX contracts, text files, git repositories) with MiniMax-M1. "
                 "The sources go into one context, prefilled once; each question reuses it. Reasoning and answer "
                 "stream to the terminal, followed by the citations and whether each was verified.");
    add_ask_options(p);
    if (int rc = parse_or_exit(p, args); rc >= 0) return rc;
    ask_plan plan;
    if (std::string why = read_ask_plan(p, &plan); !why.empty()) {
        std::fprintf(stderr, "m1 ask: %s\n", why.c_str());
        return 2;
    }
    return run_ask_plan(plan);
}

}  // namespace m1::cli
