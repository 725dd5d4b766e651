// Threads for the CPU backend: a parallel_for over independent work items (attention heads, experts) and a scope
// that keeps OpenBLAS single-threaded while our own threads each call it, so the two levels of parallelism do not
// oversubscribe the cores.
//
// Thread-safety: parallel_for may be called from any thread; blas_single_thread_scope changes OpenBLAS's global
// thread count for its lifetime (another thread's concurrent BLAS calls then also run single-threaded: slower,
// never wrong).
#pragma once

#include <cstdint>
#include <functional>

namespace m1::cpu {

// Number of worker threads the CPU backend uses (hardware concurrency, at least 1).
int default_threads();

// Calls fn(i) for every i in [0, n), spread over up to n_threads threads (the calling thread included). Items are
// handed out in contiguous ranges; fn must be safe to call concurrently for different i. Exceptions thrown by fn
// are rethrown (the first one) after all threads finish.
void parallel_for(int64_t n, int n_threads, const std::function<void(int64_t)>& fn);

class blas_single_thread_scope {
public:
    blas_single_thread_scope();
    ~blas_single_thread_scope();
    blas_single_thread_scope(const blas_single_thread_scope&) = delete;
    blas_single_thread_scope& operator=(const blas_single_thread_scope&) = delete;

private:
    int m_previous;
};

}  // namespace m1::cpu
