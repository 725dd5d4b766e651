#include "engine/bench/bench_config.h"

#include "engine/model/model_presets.h"

#include <filesystem>

namespace m1::bench {

namespace {

// M1's widths (the w16 preset) on `layers` layers with `experts` experts; softmax where (l + 1) % 8 == 0, or at the
// last layer when there are fewer than 8.
model_config real_width(int64_t layers, int64_t experts) {
    model_config c = preset_config("w16", 200064);
    c.num_layers = layers;
    c.num_experts = experts;
    c.layers.assign(size_t(layers), layer_kind::lightning);
    for (int64_t l = 0; l < layers; ++l)
        if ((l + 1) % 8 == 0 || (layers < 8 && l == layers - 1)) c.layers[size_t(l)] = layer_kind::softmax;
    c.validate("bench configuration");
    return c;
}

}  // namespace

std::vector<std::string> bench_config_names() {
    return {"w16", "w4-32e", "w2-32e", "tiny", "small"};
}

model_config bench_config(const std::string& spec) {
    if (spec == "w4-32e") return real_width(4, 32);
    if (spec == "w2-32e") return real_width(2, 32);
    for (const std::string& name : preset_names())
        if (spec == name) return preset_config(name, 200064);
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::is_directory(spec, ec)) {
        const fs::path file = fs::path(spec) / "config.json";
        if (!fs::exists(file, ec)) throw config_error(spec + ": the folder has no config.json");
        return model_config::from_json_file(file.string());
    }
    if (fs::exists(spec, ec)) return model_config::from_json_file(spec);
    std::string known;
    for (const std::string& n : bench_config_names()) known += (known.empty() ? "" : ", ") + n;
    throw config_error("'" + spec + "' is neither a known configuration (" + known +
                       ") nor an existing config.json or model folder");
}

}  // namespace m1::bench
