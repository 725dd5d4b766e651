// The m1 subcommands. Each lives in its own cmd_<name>.cpp and is listed once in main.cpp's table.
// Exit status: 0 success, 1 the work failed (message on stderr), 2 a bad command line.
#pragma once

#include "app/cli/args.h"

#include <string>
#include <vector>

namespace m1::cli {

using command_fn = int (*)(const std::vector<std::string>& args);

struct command {
    const char* name;
    const char* summary;  // one line for `m1 --help`
    command_fn run;
};

// Parses args into parser; prints help (returns 0) or the error (returns 2). Returns -1 when the command should run.
int parse_or_exit(arg_parser& parser, const std::vector<std::string>& args);

// Prints "m1 <command>: <message>" to stderr and returns 1.
int fail(const std::string& command, const std::string& message);

// Engine-only commands (built in every configuration).
int run_version(const std::vector<std::string>& args);
int run_tokenize(const std::vector<std::string>& args);
int run_logits(const std::vector<std::string>& args);
int run_chat_format(const std::vector<std::string>& args);
int run_make_model(const std::vector<std::string>& args);
int run_inspect(const std::vector<std::string>& args);
int run_bench(const std::vector<std::string>& args);

#ifdef M1_WITH_APP
// Commands that need the application core and the ingest readers.
int run_demo(const std::vector<std::string>& args);
int run_ask(const std::vector<std::string>& args);
int run_report(const std::vector<std::string>& args);
int run_ingest(const std::vector<std::string>& args);
int run_serve(const std::vector<std::string>& args);
#endif

}  // namespace m1::cli
