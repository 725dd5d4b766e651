#include "app/cli/command.h"

#include <cstdio>

namespace m1::cli {

int parse_or_exit(arg_parser& parser, const std::vector<std::string>& args) {
    if (!parser.parse(args)) {
        std::fprintf(stderr, "m1: %s\n", parser.error().c_str());
        return 2;
    }
    if (parser.help_requested()) {
        std::fputs(parser.help_text().c_str(), stdout);
        return 0;
    }
    return -1;
}

int fail(const std::string& command, const std::string& message) {
    std::fprintf(stderr, "m1 %s: %s\n", command.c_str(), message.c_str());
    return 1;
}

}  // namespace m1::cli
