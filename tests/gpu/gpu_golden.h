// Golden-data helpers for the GPU tests that compare against the checkpoints in tests/reference/model/golden:
// reading ids and float32 logits files, finding the source tree and the m1 executable (the compile-time paths
// unless M1_SOURCE_DIR / M1_CLI in the environment move them: tests/gpu/run.sh runs prebuilt binaries from another
// checkout path on the GPU machine), and running `m1 logits` on a golden directory.
// The including target defines M1_SOURCE_DIR and M1_CLI (m1_add_gpu_test does).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

namespace m1::gpu_test {

inline std::vector<int32_t> read_ids(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::vector<int32_t> ids;
    for (long long v; in >> v;) ids.push_back(int32_t(v));
    if (ids.empty()) throw std::runtime_error(p.string() + ": no ids");
    return ids;
}

inline std::vector<float> read_floats(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::runtime_error(p.string() + ": cannot open");
    std::vector<float> v(static_cast<size_t>(std::filesystem::file_size(p) / 4));
    in.read(reinterpret_cast<char*>(v.data()), std::streamsize(v.size() * 4));
    return v;
}

inline std::string source_dir() {
    const char* e = std::getenv("M1_SOURCE_DIR");
    return e && *e ? e : M1_SOURCE_DIR;
}

inline std::string cli_path() {
    const char* e = std::getenv("M1_CLI");
    return e && *e ? e : M1_CLI;
}

// `m1 logits <args> --model dir --ids ids` (args names the backend and any options); the logits it wrote.
inline std::vector<float> logits_cli(const std::filesystem::path& dir, const std::filesystem::path& ids,
                                     const std::string& args) {
    const std::filesystem::path out =
        std::filesystem::temp_directory_path() / ("m1_gpu_logits_" + std::to_string(::getpid()) + ".bin");
    const std::string cmd = "\"" + cli_path() + "\" logits " + args + " --model \"" + dir.string() + "\" --ids \"" +
                            ids.string() + "\" --out \"" + out.string() + "\"";
    const int rc = std::system(cmd.c_str());
    if (rc != 0) throw std::runtime_error("'" + cmd + "' failed with status " + std::to_string(rc));
    std::vector<float> v = read_floats(out);
    std::filesystem::remove(out);
    return v;
}

}  // namespace m1::gpu_test
