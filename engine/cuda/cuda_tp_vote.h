// A host-side vote of the ranks of a TP group (each rank in its own host thread of one process): every rank calls
// vote(rank, ok) once per round, and each gets back whether all ranks passed ok. The decode path uses it after
// capturing its CUDA graph: NCCL requires a captured collective to be captured on every rank of the communicator,
// so when one rank's capture failed, no rank may launch its graph (all run the plain step instead).
//
// Ownership: plain data. Thread-safety: vote is called concurrently by the ranks' threads; abort() and reset() from
// any thread (abort releases the waiting ranks, which then throw, as the collectives do after a rank failed).
#pragma once

#include "engine/cuda/cuda_util.h"

#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace m1::cuda {

class tp_host_vote {
public:
    explicit tp_host_vote(int ranks) : m_size(ranks) {}

    // Throws cuda_error after abort() (another rank failed and will never vote).
    bool vote(int rank, bool ok) {
        (void)rank;  // any order: the result is the AND of the round
        std::unique_lock<std::mutex> lock(m_mutex);
        if (m_aborted) throw cuda_error("TP vote: another rank failed");
        m_all_ok = m_all_ok && ok;
        if (++m_arrived == m_size) {
            m_result = m_all_ok;
            m_all_ok = true;
            m_arrived = 0;
            ++m_round;
            m_cv.notify_all();
            return m_result;
        }
        const uint64_t round = m_round;
        m_cv.wait(lock, [&] { return m_round != round || m_aborted; });
        if (m_round == round) throw cuda_error("TP vote: another rank failed");
        return m_result;  // a later round cannot complete before this rank votes again
    }

    void abort() {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_aborted = true;
        m_cv.notify_all();
    }

    void reset() {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_aborted = false;
        m_arrived = 0;
        m_all_ok = true;
    }

private:
    int m_size;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    int m_arrived = 0;
    bool m_all_ok = true, m_result = true;
    uint64_t m_round = 0;
    bool m_aborted = false;
};

}  // namespace m1::cuda
