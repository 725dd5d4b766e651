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

// How many threads work of `flops` multiply-adds deserves: below ~1M the cost of starting threads (and, on a busy
// machine, of waiting for a core) outweighs the gain, so small work such as a decode step stays on one thread.
int threads_for(double flops, int n_threads);

class blas_single_thread_scope {
public:
    // active = false makes the scope a no-op (for code whose parallelism is decided at run time).
    explicit blas_single_thread_scope(bool active = true);
    ~blas_single_thread_scope();
    blas_single_thread_scope(const blas_single_thread_scope&) = delete;
    blas_single_thread_scope& operator=(const blas_single_thread_scope&) = delete;

private:
    bool m_active;
    int m_previous = 0;
};

}  // namespace m1::cpu
