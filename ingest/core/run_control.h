// How long ingestion work reports progress, is cancelled and spreads over threads (style habit 4): every reader takes
// a run_options; progress callbacks return false to cancel; a std::atomic<bool> may cancel from another thread.
// Cancellation is checked between items (pages, files), so it takes effect within one item's time.
#pragma once

#include "ingest/core/source.h"

#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

namespace m1::ingest {

// One finished item: `done` of `total` items of the source are finished; `item` names the last one ("page 3",
// "src/main.cpp").
struct progress_event {
    size_t done = 0;
    size_t total = 0;
    std::string_view item;
};

// Returns false to cancel. Called from worker threads, but never from two at once (run_state serialises the calls).
using progress_fn = std::function<bool(const progress_event&)>;

struct run_options {
    unsigned threads = 0;                      // worker threads; 0 = std::thread::hardware_concurrency()
    progress_fn progress;                      // may be empty
    const std::atomic<bool>* cancel = nullptr;  // may be null; set to true from any thread to cancel
};

// Thrown when a run was cancelled through run_options; what() names the source.
struct ingest_cancelled : ingest_error {
    using ingest_error::ingest_error;
};

// The shared state of one run: counts finished items, forwards progress, remembers cancellation. Thread-safe.
// Borrows `options`, which must outlive it.
class run_state {
public:
    run_state(const run_options& options, size_t total) : m_options(options), m_total(total) {}

    // True once the run was cancelled (callback returned false or the atomic flag is set).
    bool cancelled() const {
        return m_cancelled.load(std::memory_order_relaxed) ||
               (m_options.cancel && m_options.cancel->load(std::memory_order_relaxed));
    }
    // Records one finished item and reports it; returns false when the run should stop.
    bool finished(std::string_view item);
    // Throws ingest_cancelled("<what>: cancelled") when the run was cancelled.
    void throw_if_cancelled(const std::string& what) const;

private:
    const run_options& m_options;
    size_t m_total;
    size_t m_done = 0;
    std::mutex m_mutex;
    std::atomic<bool> m_cancelled{false};
};

// The number of worker threads to use for `items` items: options.threads (or the hardware's), at most `items`, >= 1.
unsigned worker_count(const run_options& options, size_t items);

// Runs fn(index, worker) for index in [0, n) on `workers` threads (the calling thread is one of them); `worker` in
// [0, workers) lets fn use per-thread resources such as a document handle. Items are handed out in order. Stops
// handing out items once `state` is cancelled or an fn throws; the first exception is rethrown after all threads
// have joined.
void parallel_for(size_t n, unsigned workers, run_state& state, const std::function<void(size_t index, unsigned worker)>& fn);

// Fills segment.tokens for every segment with `count` (which must be thread-safe), in parallel, reporting one
// progress item per segment. Throws ingest_cancelled naming the source when cancelled.
void count_tokens(source& src, const token_counter& count, const run_options& options);

}  // namespace m1::ingest
