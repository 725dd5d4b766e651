// m1: the command-line face of M1 Studio. `m1 --help` lists the subcommands; each has its own --help.
#include "app/cli/command.h"

#include <cstdio>
#include <cstring>
#include <iterator>

namespace {

using m1::cli::command;

const command k_commands[] = {
    {"version", "Print the version, build type, whether CUDA was built in, and the GPUs this machine has.",
     m1::cli::run_version},
    {"logits", "Write the raw float32 logits of a token sequence (any backend, prefill chunk or decode start).",
     m1::cli::run_logits},
    {"chat-format", "Print the prompt MiniMax-M1's chat template makes of a conversation (JSON messages, tools).",
     m1::cli::run_chat_format},
    {"make-model", "Write a random-weight model directory in the official MiniMax-M1 layout (tests, demo).",
     m1::cli::run_make_model},
    {"inspect", "Print a model's parameter counts and the memory it needs per GPU count.", m1::cli::run_inspect},
    {"tokenize", "Print the token ids of a text (a tokenizer.json; special tokens recognised, nothing added).",
     m1::cli::run_tokenize},
    {"bench", "Measure prefill, decode and kernels on a CUDA GPU against the hardware floor (random weights).",
     m1::cli::run_bench},
#ifdef M1_WITH_APP
    {"ask", "Ask questions about PDFs, contracts, text files and repositories; stream reasoning, answer, citations.",
     m1::cli::run_ask},
    {"report", "Render a saved conversation as a Markdown, HTML or PDF report.", m1::cli::run_report},
    {"demo", "Ask the demo workspace with the demo model (random weights) headless, and write a report.",
     m1::cli::run_demo},
    {"ingest", "Read PDFs, contracts, text files and git repositories into anchored segments with token counts.",
     m1::cli::run_ingest},
    {"serve", "Serve a model over an OpenAI-compatible HTTP API (chat completions with reasoning and tool calls).",
     m1::cli::run_serve},
#endif
};

void print_help() {
    std::puts("usage: m1 <command> [options]\n\nM1 Studio's command-line tool: long-document analysis with MiniMax-M1.\n"
              "\ncommands:");
    for (const command& c : k_commands) std::printf("  %-12s %s\n", c.name, c.summary);
    std::puts("\nRun 'm1 <command> --help' for the options of one command.");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
        std::strcmp(argv[1], "help") == 0) {
        print_help();
        return argc < 2 ? 2 : 0;
    }
    if (std::strcmp(argv[1], "--version") == 0) return m1::cli::run_version({});
    for (const command& c : k_commands) {
        if (std::strcmp(argv[1], c.name) == 0) return c.run(std::vector<std::string>(argv + 2, argv + argc));
    }
    std::fprintf(stderr, "m1: unknown command '%s' (run 'm1 --help' for the list)\n", argv[1]);
    return 2;
}
