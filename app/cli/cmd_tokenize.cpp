// m1 tokenize: the token ids of a text, space-separated on one line (engine/tokenizer; contract in product.md).
#include "app/cli/command.h"
#include "engine/tokenizer/tokenizer.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace m1::cli {

int run_tokenize(const std::vector<std::string>& args) {
    arg_parser p("tokenize", "--tokenizer FILE (--text STR | --file PATH)",
                 "Prints the token ids of the whole text, space-separated on one line. Special tokens written in "
                 "the text (<end_of_sentence>, ...) are recognised; nothing is added. Bytes that are not valid "
                 "UTF-8 are read as U+FFFD.");
    p.option("--tokenizer", "FILE", "A Hugging Face tokenizer.json (byte-level BPE, e.g. MiniMax-M1's).")
        .option("--text", "STR", "The text to tokenize.")
        .option("--file", "PATH", "Tokenize the contents of this file instead (read as bytes).");
    if (int rc = parse_or_exit(p, args); rc >= 0) return rc;
    const auto tokenizer_path = p.value("--tokenizer");
    const auto text_arg = p.value("--text");
    const auto file_arg = p.value("--file");
    if (!tokenizer_path || text_arg.has_value() == file_arg.has_value()) {
        std::fprintf(stderr, "m1: tokenize needs --tokenizer FILE and exactly one of --text or --file "
                             "(see m1 tokenize --help)\n");
        return 2;
    }

    std::string text;
    if (text_arg) {
        text = *text_arg;
    } else {
        std::ifstream in(*file_arg, std::ios::binary);
        if (!in) return fail("tokenize", *file_arg + ": cannot open the file");
        std::ostringstream content;
        content << in.rdbuf();
        if (in.bad()) return fail("tokenize", *file_arg + ": read error");
        text = std::move(content).str();
    }

    std::vector<int32_t> ids;
    try {
        ids = tokenizer::load(*tokenizer_path)->encode(text);
    } catch (const tokenizer_error& e) {
        return fail("tokenize", e.what());
    }
    std::string line;
    line.reserve(ids.size() * 7 + 1);
    for (size_t i = 0; i < ids.size(); ++i) {
        if (i) line.push_back(' ');
        line += std::to_string(ids[i]);
    }
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stdout);
    return std::fflush(stdout) == 0 ? 0 : fail("tokenize", "cannot write the ids to standard output");
}

}  // namespace m1::cli
