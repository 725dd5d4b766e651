#include "ingest/core/run_control.h"

#include <algorithm>
#include <exception>
#include <thread>
#include <vector>

namespace m1::ingest {

bool run_state::finished(std::string_view item) {
    if (cancelled()) return false;
    std::lock_guard lock(m_mutex);
    ++m_done;
    if (m_options.progress && !m_options.progress(progress_event{m_done, m_total, item})) {
        m_cancelled.store(true, std::memory_order_relaxed);
        return false;
    }
    return true;
}

void run_state::throw_if_cancelled(const std::string& what) const {
    if (cancelled()) throw ingest_cancelled(what + ": cancelled");
}

unsigned worker_count(const run_options& options, size_t items) {
    unsigned n = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
    return static_cast<unsigned>(std::max<size_t>(1, std::min<size_t>(n, items)));
}

void parallel_for(size_t n, unsigned workers, run_state& state, const std::function<void(size_t, unsigned)>& fn) {
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    std::exception_ptr first_error;
    std::mutex error_mutex;
    auto work = [&](unsigned worker) {
        for (;;) {
            if (failed.load(std::memory_order_relaxed) || state.cancelled()) return;
            const size_t i = next.fetch_add(1, std::memory_order_relaxed);
            if (i >= n) return;
            try {
                fn(i, worker);
            } catch (...) {
                std::lock_guard lock(error_mutex);
                if (!first_error) first_error = std::current_exception();
                failed.store(true, std::memory_order_relaxed);
                return;
            }
        }
    };
    std::vector<std::thread> threads;
    for (unsigned w = 1; w < workers; ++w) threads.emplace_back(work, w);
    work(0);
    for (std::thread& t : threads) t.join();
    if (first_error) std::rethrow_exception(first_error);
}

void count_tokens(source& src, const token_counter& count, const run_options& options) {
    run_state state(options, src.segments.size());
    parallel_for(src.segments.size(), worker_count(options, src.segments.size()), state, [&](size_t i, unsigned) {
        segment& s = src.segments[i];
        s.tokens = count(s.text);
        state.finished(s.where.file.empty() ? std::string_view(src.title) : std::string_view(s.where.file));
    });
    state.throw_if_cancelled(src.path);
}

}  // namespace m1::ingest
