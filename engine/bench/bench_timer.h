// Timing helpers for the GPU benchmarks: a host clock for synchronous calls, CUDA events for device work, medians.
// Device work is timed with events on the legacy default stream (the work must run there or be synchronised with
// it); each measurement is preceded by warm-up runs so module load, handle creation and heuristics stay out.
// Thread-safety: free functions; event_median_s uses the calling thread's current device.
#pragma once

#include "engine/cuda/cuda_util.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <vector>

namespace m1::bench {

inline double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

inline double median(std::vector<double> v) {
    if (v.empty()) return -1;
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Median seconds of `reps` runs of body() between two events on `stream`, after `warmup` untimed runs.
// body() must enqueue its work on `stream` (or synchronise with it). Throws cuda_error on a failed event call.
inline double event_median_s(const std::function<void()>& body, int warmup, int reps, cudaStream_t stream = nullptr) {
    using m1::cuda::check;
    cudaEvent_t a = nullptr, b = nullptr;
    check(cudaEventCreate(&a), "cudaEventCreate");
    check(cudaEventCreate(&b), "cudaEventCreate");
    std::vector<double> s;
    try {
        for (int i = 0; i < warmup; ++i) body();
        for (int i = 0; i < reps; ++i) {
            check(cudaEventRecord(a, stream), "cudaEventRecord");
            body();
            check(cudaEventRecord(b, stream), "cudaEventRecord");
            check(cudaEventSynchronize(b), "cudaEventSynchronize");
            float ms = 0;
            check(cudaEventElapsedTime(&ms, a, b), "cudaEventElapsedTime");
            s.push_back(1e-3 * ms);
        }
    } catch (...) {
        cudaEventDestroy(a);
        cudaEventDestroy(b);
        throw;
    }
    cudaEventDestroy(a);
    cudaEventDestroy(b);
    return median(s);
}

// Bytes of GPU memory in use now (total − free, all processes), by cudaMemGetInfo.
inline double used_bytes() {
    size_t free_b = 0, total_b = 0;
    m1::cuda::check(cudaMemGetInfo(&free_b, &total_b), "cudaMemGetInfo");
    return double(total_b - free_b);
}

}  // namespace m1::bench
