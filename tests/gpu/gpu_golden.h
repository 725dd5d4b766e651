// Golden-data helpers for the GPU tests that compare against the checkpoints in tests/reference/model/golden:
// reading ids and float32 logits files, finding the source tree and the m1 executable (the compile-time paths
// unless M1_SOURCE_DIR / M1_CLI in the environment move them: tests/gpu/run.sh runs prebuilt binaries from another
// checkout path on the GPU machine), running `m1 logits` on a golden directory, a session's logits at every position,
// and how two sets of logits agree row by row.
// The including target defines M1_SOURCE_DIR and M1_CLI (m1_add_gpu_test does).
#pragma once

#include "engine/model/backend.h"
#include "engine/model/session.h"

#include <algorithm>
#include <cmath>
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

// Logits of every position through a session: a prefill of the first decode_from ids (all of them when
// decode_from < 0) in chunks of `chunk` tokens (0: one call), then one decode step per remaining id.
inline std::vector<float> session_logits(backend& be, const std::vector<int32_t>& ids, int64_t chunk,
                                         int64_t decode_from) {
    const int64_t n = int64_t(ids.size()), V = be.config().vocab_size;
    std::vector<float> out(static_cast<size_t>(n * V));
    session s(be);
    const int64_t k = decode_from < 0 ? n : decode_from;
    s.prefill(std::span<const int32_t>(ids.data(), size_t(k)), chunk, {}, out.data());
    for (int64_t t = k; t < n; ++t) {
        const std::vector<float>& row = s.decode(ids[size_t(t)]);
        std::copy(row.begin(), row.end(), out.begin() + t * V);
    }
    return out;
}

// Row-by-row agreement of logits `got` with `ref` (rows of `vocab`), for a tolerance `tol`.
struct agreement {
    double worst_row = 0;  // max over rows of max|got − ref| / max|ref| (infinite when the sizes differ)
    double argmax = 0;     // fraction of rows with the same argmax
    double within = 0;     // fraction of rows within tol
    double decisive = 0;  // fraction of the decisive rows (reference top-2 margin > tol·max|ref|) with the same argmax
    int64_t near_ties = 0;  // rows whose reference top-2 margin is inside the tolerance (a flip there is allowed)
    int64_t rows = 0, same_rows = 0, within_rows = 0;  // the counts behind argmax and within
};

inline agreement compare_logits(const std::vector<float>& got, const std::vector<float>& ref, int64_t vocab,
                                double tol) {
    agreement a;
    const int64_t rows = int64_t(ref.size()) / vocab;
    if (int64_t(got.size()) != rows * vocab) return {INFINITY, 0};
    int64_t same = 0, within = 0, decisive = 0, decisive_same = 0;
    for (int64_t r = 0; r < rows; ++r) {
        const float* g = got.data() + r * vocab;
        const float* b = ref.data() + r * vocab;
        double diff = 0, mag = 0;
        int64_t ag = 0, ab = 0;
        for (int64_t v = 0; v < vocab; ++v) {
            if (std::isnan(g[v])) diff = INFINITY;
            diff = std::max(diff, std::fabs(double(g[v]) - b[v]));
            mag = std::max(mag, std::fabs(double(b[v])));
            if (g[v] > g[ag]) ag = v;
            if (b[v] > b[ab]) ab = v;
        }
        double second = -INFINITY;  // the reference's runner-up logit
        for (int64_t v = 0; v < vocab; ++v)
            if (v != ab) second = std::max(second, double(b[v]));
        const double row_err = mag > 0 ? diff / mag : diff;
        a.worst_row = std::max(a.worst_row, row_err);
        within += row_err <= tol;
        same += ag == ab;
        if (double(b[ab]) - second > tol * mag) {
            ++decisive;
            decisive_same += ag == ab;
        } else {
            ++a.near_ties;
        }
    }
    a.rows = rows;
    a.same_rows = same;
    a.within_rows = within;
    a.argmax = rows ? double(same) / double(rows) : 0;
    a.within = rows ? double(within) / double(rows) : 0;
    a.decisive = decisive ? double(decisive_same) / double(decisive) : 1;
    return a;
}

}  // namespace m1::gpu_test
