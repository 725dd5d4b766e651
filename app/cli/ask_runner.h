// The work behind `m1 ask`, shared with `m1 demo` (which runs the same thing over the demo workspace).
#pragma once

#include "app/cli/args.h"

#include <memory>
#include <string>
#include <vector>

class QGuiApplication;

namespace m1::cli {

// PDF reports need fonts, which need a QGuiApplication: returns one (offscreen without a display) when `report`
// ends in .pdf, else nullptr. Keep it alive while writing.
std::unique_ptr<QGuiApplication> gui_for_report(const std::string& report);

struct ask_plan {
    std::string model_dir, endpoint, device = "cpu";
    std::string api_key, model_name, tokenizer;  // --endpoint: the remote server's key, model, local tokenizer
    std::vector<std::string> sources;
    std::vector<std::string> questions;
    std::string report, save;
    std::string system_prompt;  // empty: the preset's
    std::string preset = "general";
    double temperature = 1.0, top_p = 0.95;
    long long top_k = 0, seed = 0, max_tokens = 40960;
    bool contract = false, quiet_reasoning = false, include_reasoning = true;
    std::string ref = "HEAD", password;
    std::vector<std::string> include, exclude;  // globs for files and folders inside repository sources
};

// Declares the options of `m1 ask` on p.
void add_ask_options(arg_parser& p);
// Fills plan from parsed options; returns an error message for a bad combination (then exit 2).
std::string read_ask_plan(arg_parser& p, ask_plan* plan);
// Runs it; returns the exit status.
int run_ask_plan(const ask_plan& plan);

}  // namespace m1::cli
