// m1 chat-format: prints a conversation rendered exactly as MiniMax-M1's chat template renders it (engine/chat).
#include "app/cli/command.h"
#include "engine/chat/chat_format.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace m1::cli {

namespace {

// Reads and parses a JSON file; throws chat_format_error "<path>: <problem>".
nlohmann::ordered_json read_json(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw chat_format_error(path + ": cannot open");
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw chat_format_error(path + ": cannot read");
    try {
        return nlohmann::ordered_json::parse(text.str());
    } catch (const nlohmann::json::parse_error& e) {
        // e.what() reads "[json.exception.parse_error.101] parse error at line 3, column 5: ..."; keep the useful half.
        std::string what = e.what();
        if (const size_t at = what.find("parse error"); at != std::string::npos) what = what.substr(at);
        throw chat_format_error(path + ": not valid JSON: " + what);
    }
}

}  // namespace

int run_chat_format(const std::vector<std::string>& args) {
    arg_parser p("chat-format", "--messages FILE.json [--tools FILE.json] [--no-generation-prompt]",
                 "Prints the prompt that MiniMax-M1's chat template (tokenizer_config.json) makes of a conversation, "
                 "byte for byte, with no newline added. FILE.json holds OpenAI-style messages: an array, or an object "
                 "with \"messages\" (and optionally \"tools\").");
    p.option("--messages", "FILE.json", "The conversation: [{\"role\": ..., \"content\": ...}, ...].")
        .option("--tools", "FILE.json", "Tools offered to the model (a JSON array); replaces any \"tools\" in the messages file.")
        .flag("--no-generation-prompt", "Leave out the final '<beginning_of_sentence>ai name=assistant\\n'.");
    if (int rc = parse_or_exit(p, args); rc >= 0) return rc;
    const auto messages_path = p.value("--messages");
    if (!messages_path) {
        std::fprintf(stderr, "m1: chat-format needs --messages FILE.json (see m1 chat-format --help)\n");
        return 2;
    }

    std::string prompt;
    try {
        chat_conversation conv;
        const auto doc = read_json(*messages_path);
        try {
            conv = chat_conversation_from_json(doc);
        } catch (const chat_format_error& e) {
            throw chat_format_error(*messages_path + ": " + e.what());
        }
        if (const auto tools_path = p.value("--tools")) {
            const auto tools_doc = read_json(*tools_path);
            try {
                conv.tools = chat_tools_from_json(tools_doc);
            } catch (const chat_format_error& e) {
                throw chat_format_error(*tools_path + ": " + e.what());
            }
        }
        try {
            prompt = render_chat(conv, !p.has("--no-generation-prompt"));
        } catch (const chat_format_error& e) {
            throw chat_format_error(*messages_path + ": " + e.what());
        }
    } catch (const chat_format_error& e) {
        return fail("chat-format", e.what());
    }
    if (std::fwrite(prompt.data(), 1, prompt.size(), stdout) != prompt.size() || std::fflush(stdout) != 0)
        return fail("chat-format", "cannot write the prompt to standard output");
    return 0;
}

}  // namespace m1::cli
