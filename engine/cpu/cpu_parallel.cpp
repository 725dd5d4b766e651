#include "engine/cpu/cpu_parallel.h"

#include <algorithm>
#include <cblas.h>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace m1::cpu {

int default_threads() {
    return std::max(1u, std::thread::hardware_concurrency());
}

void parallel_for(int64_t n, int n_threads, const std::function<void(int64_t)>& fn) {
    if (n <= 0) return;
    const int64_t workers = std::clamp<int64_t>(n_threads, 1, n);
    if (workers == 1) {
        for (int64_t i = 0; i < n; ++i) fn(i);
        return;
    }
    std::exception_ptr first_error;
    std::mutex error_mutex;
    auto run_range = [&](int64_t w) {
        const int64_t begin = n * w / workers, end = n * (w + 1) / workers;
        try {
            for (int64_t i = begin; i < end; ++i) fn(i);
        } catch (...) {
            std::lock_guard<std::mutex> lock(error_mutex);
            if (!first_error) first_error = std::current_exception();
        }
    };
    std::vector<std::thread> threads;
    threads.reserve(static_cast<size_t>(workers - 1));
    for (int64_t w = 1; w < workers; ++w) threads.emplace_back(run_range, w);
    run_range(0);
    for (std::thread& t : threads) t.join();
    if (first_error) std::rethrow_exception(first_error);
}

int threads_for(double flops, int n_threads) {
    return flops < double(1 << 20) ? 1 : std::max(1, n_threads);
}

blas_single_thread_scope::blas_single_thread_scope(bool active) : m_active(active) {
    if (!m_active) return;
    m_previous = openblas_get_num_threads();
    openblas_set_num_threads(1);
}

blas_single_thread_scope::~blas_single_thread_scope() {
    if (m_active) openblas_set_num_threads(m_previous);
}

}  // namespace m1::cpu
