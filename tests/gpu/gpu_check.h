// The GPU tests' tiny harness (no Qt: the GPU machine has none). Each test is one executable that
//   * returns 77 (CTest's SKIP_RETURN_CODE) when no CUDA device is visible, so CPU-only CI skips instead of failing;
//   * draws FRESH random inputs every run (seed printed; M1_GPU_SEED=<n> replays a run);
//   * prints one line per check ("ok"/"FAIL", the measured error and the tolerance) and returns 1 if any failed.
//
// Errors are relative to the reference's largest magnitude: max|got − ref| / max|ref| over the compared span.
#pragma once

#include "engine/cuda/cuda_util.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace m1::gpu_test {

inline bool gpu_visible(std::string& why) {
    int count = 0;
    const cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
        why = cudaGetErrorString(e);
        cudaGetLastError();
        return false;
    }
    if (count == 0) why = "the CUDA runtime sees no device";
    return count > 0;
}

// Returns 77 with a message when no GPU is visible, else 0.
inline int skip_without_gpu(const char* test) {
    std::string why;
    if (gpu_visible(why)) return 0;
    std::printf("%s: SKIP (no CUDA device: %s)\n", test, why.c_str());
    return 77;
}

// SplitMix64: fast, good enough for test inputs, and trivially reproducible from the printed seed.
class rng {
public:
    explicit rng(uint64_t seed) : m_state(seed) {}
    uint64_t next() {
        uint64_t z = (m_state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    float uniform(float lo, float hi) { return lo + (hi - lo) * float(double(next() >> 11) * 0x1.0p-53); }
    // n values in [lo, hi), rounded to bf16 when bf16 is set (inputs that the GPU stores in bf16).
    std::vector<float> fill(size_t n, float lo, float hi, bool bf16 = true) {
        std::vector<float> v(n);
        for (float& x : v) x = bf16 ? cuda::round_to_bf16(uniform(lo, hi)) : uniform(lo, hi);
        return v;
    }

private:
    uint64_t m_state;
};

inline uint64_t fresh_seed() {
    if (const char* s = std::getenv("M1_GPU_SEED")) return std::strtoull(s, nullptr, 10);
    std::random_device rd;
    return (uint64_t(rd()) << 32) ^ rd();
}

template <class A, class B>
double rel_err(const A& got, const B& ref, size_t begin = 0, size_t end = size_t(-1)) {
    end = std::min({end, size_t(got.size()), size_t(ref.size())});
    double diff = 0, mag = 0;
    for (size_t i = begin; i < end; ++i) {
        const double g = double(got[i]), r = double(ref[i]);
        if (std::isnan(g) || std::isnan(r)) return INFINITY;
        diff = std::max(diff, std::fabs(g - r));
        mag = std::max(mag, std::fabs(r));
    }
    return mag > 0 ? diff / mag : diff;
}

class suite {
public:
    explicit suite(const char* name) : m_name(name), m_seed(fresh_seed()) {
        std::printf("%s: seed %llu (replay with M1_GPU_SEED=%llu)\n", name, (unsigned long long)m_seed,
                    (unsigned long long)m_seed);
    }
    uint64_t seed() const { return m_seed; }

    bool check(bool ok, const std::string& what) {
        ++m_checks;
        if (!ok) ++m_failures;
        std::printf("  %-4s %s\n", ok ? "ok" : "FAIL", what.c_str());
        std::fflush(stdout);
        return ok;
    }
    // err <= tol (NaN fails).
    bool close(const std::string& what, double err, double tol) {
        char line[512];
        std::snprintf(line, sizeof line, "%s: error %.3g (tolerance %.3g)", what.c_str(), err, tol);
        return check(err <= tol, line);
    }
    int finish() const {
        std::printf("%s: %d checks, %d failed\n", m_name, m_checks, m_failures);
        return m_failures ? 1 : 0;
    }

private:
    const char* m_name;
    uint64_t m_seed;
    int m_checks = 0, m_failures = 0;
};

// Runs body(suite&) and turns an exception into a failure (exit 1) with its message.
template <class F>
int run_suite(const char* name, F&& body) {
    if (int rc = skip_without_gpu(name)) return rc;
    suite s(name);
    try {
        body(s);
    } catch (const std::exception& e) {
        s.check(false, std::string("exception: ") + e.what());
    }
    return s.finish();
}

}  // namespace m1::gpu_test
