// The model configurations `m1 bench` and tests/bench/compare.py run, by name or from a config.json.
//
//   w16     the model preset (model_presets.h): M1's real widths on 16 layers, softmax at 7 and 15, 16 experts
//   w4-32e  M1's widths on 4 layers (softmax at 3) with 32 experts × 9216: the configuration of bench_gpu and of the
//           CUDA results in tests/bench/RESULTS.md (52.6 GB of bf16 weights)
//   w2-32e  M1's widths on 2 layers (one lightning, one softmax), 32 experts: bench_gpu --long's configuration
//   tiny, small   the model presets, with M1's vocabulary (200064)
//   a path  a config.json (either naming scheme, model_config::from_json_file) or a model folder holding one
//
// Thread-safety: pure functions.
#pragma once

#include "engine/model/config.h"

#include <string>
#include <vector>

namespace m1::bench {

std::vector<std::string> bench_config_names();  // {"w16", "w4-32e", "w2-32e", "tiny", "small"}

// Resolves a --config value. Throws config_error naming the value, the known names, or the file and its problem.
model_config bench_config(const std::string& spec);

}  // namespace m1::bench
