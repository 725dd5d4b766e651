// Access to the golden data of tests/reference/model/golden (written by make_golden.py from transformers): the
// checkpoints, prompt ids and reference logits, plus the error metric the engine tests use.
#pragma once

#include "engine/cpu/cpu_backend.h"
#include "engine/model/checkpoint.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <QtTest>

namespace golden {

inline std::string dir(const std::string& config) {
    return std::string(M1_SOURCE_DIR) + "/tests/reference/model/golden/" + config;
}

inline std::vector<int32_t> ids(const std::string& config, int n) {
    std::ifstream in(dir(config) + "/ids_" + std::to_string(n) + ".txt");
    std::vector<int32_t> out;
    int32_t v;
    while (in >> v) out.push_back(v);
    return out;
}

inline std::vector<float> floats(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::vector<float> out(bytes.size() / sizeof(float));
    std::memcpy(out.data(), bytes.data(), out.size() * sizeof(float));
    return out;
}

inline std::vector<float> logits(const std::string& config, int n) {
    return floats(dir(config) + "/logits_" + std::to_string(n) + ".bin");
}

// One CPU backend per golden config, loaded once per test process.
inline m1::cpu::cpu_backend& backend(const std::string& config) {
    static std::map<std::string, std::unique_ptr<m1::cpu::cpu_backend>> cache;
    auto& slot = cache[config];
    if (!slot) slot = std::make_unique<m1::cpu::cpu_backend>(*m1::checkpoint::open(dir(config)));
    return *slot;
}

// max|a − ref| / max|ref| over the columns < n_valid of rows of width vocab (masked padding ids excluded).
inline double rel_error(const std::vector<float>& a, const std::vector<float>& ref, int64_t vocab, int64_t n_valid) {
    double num = 0, den = 0;
    for (size_t i = 0; i < ref.size(); ++i) {
        if (int64_t(i % size_t(vocab)) >= n_valid) continue;
        num = std::max(num, double(std::abs(a[i] - ref[i])));
        den = std::max(den, double(std::abs(ref[i])));
        if (!std::isfinite(a[i])) return INFINITY;
    }
    return num / den;
}

}  // namespace golden
