// The host threads of a TP group's ranks, made once and kept: every forward() of cuda_tp_backend runs one job per
// rank concurrently (each rank must reach each all-reduce while the others wait there), and a decode step is short
// enough (a few ms) that making N − 1 threads per step showed up in its time. Rank 0 runs on the calling thread,
// ranks 1..N−1 on their own threads, which sleep on a condition variable between jobs.
//
// Ownership: owns its threads (joined by the destructor). Thread-safety: run() is called by one thread at a time
// (cuda_tp_backend's mutex); the job must not throw (cuda_tp_backend's job catches and records its errors).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace m1::cuda {

class tp_rank_threads {
public:
    explicit tp_rank_threads(int ranks) {
        for (int r = 1; r < ranks; ++r) m_threads.emplace_back([this, r] { loop(r); });
    }
    ~tp_rank_threads() {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_stop = true;
        }
        m_start.notify_all();
        for (auto& t : m_threads) t.join();
    }
    tp_rank_threads(const tp_rank_threads&) = delete;
    tp_rank_threads& operator=(const tp_rank_threads&) = delete;

    // job(r) for every rank r, concurrently; returns when all have returned.
    void run(const std::function<void(int)>& job) {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_job = &job;
            m_pending = int(m_threads.size());
            ++m_round;
        }
        m_start.notify_all();
        job(0);
        std::unique_lock<std::mutex> lock(m_mutex);
        m_done.wait(lock, [&] { return m_pending == 0; });
        m_job = nullptr;
    }

private:
    void loop(int rank) {
        uint64_t seen = 0;
        std::unique_lock<std::mutex> lock(m_mutex);
        for (;;) {
            m_start.wait(lock, [&] { return m_stop || m_round != seen; });
            if (m_stop) return;
            seen = m_round;
            const std::function<void(int)>* job = m_job;
            lock.unlock();
            (*job)(rank);
            lock.lock();
            if (--m_pending == 0) m_done.notify_one();
        }
    }

    std::mutex m_mutex;
    std::condition_variable m_start, m_done;
    const std::function<void(int)>* m_job = nullptr;
    int m_pending = 0;
    uint64_t m_round = 0;
    bool m_stop = false;
    std::vector<std::thread> m_threads;  // ranks 1..N−1; last, so that the state above exists before they start
};

}  // namespace m1::cuda
