#include "engine/cuda/cuda_tp_emulated.h"

#include "engine/cuda/cuda_tp_ops.cuh"

#include <stdexcept>
#include <string>

namespace m1::cuda {

tp_emulated_collective::tp_emulated_collective(int ranks)
    : m_size(ranks), m_buffers(size_t(ranks > 0 ? ranks : 0)), m_vote(ranks) {
    if (ranks < 1 || ranks > k_max_ranks)
        throw std::invalid_argument("emulated tensor parallelism: " + std::to_string(ranks) +
                                    " ranks (supported: 1 to " + std::to_string(k_max_ranks) + ")");
}

void tp_emulated_collective::all_reduce_sum(int rank, float* data, int64_t count, cudaStream_t s) {
    // The rank's partial result must be complete before another rank's stream reads it.
    check(cudaStreamSynchronize(s), "emulated all-reduce: finish the rank's work");
    std::unique_lock<std::mutex> lock(m_mutex);
    if (m_aborted) throw cuda_error("emulated all-reduce: another rank failed");
    if (m_arrived == 0) m_count = count;
    if (count != m_count)
        throw cuda_error("emulated all-reduce: rank " + std::to_string(rank) + " passed " + std::to_string(count) +
                         " elements, another rank " + std::to_string(m_count));
    m_buffers[size_t(rank)] = data;
    if (++m_arrived == m_size) {
        sum_ranks_params p;
        for (int r = 0; r < m_size; ++r) p.buffers[r] = m_buffers[size_t(r)];
        p.ranks = m_size;
        p.count = count;
        try {
            check(launch_sum_ranks(p, s), "emulated all-reduce kernel");
            check(cudaStreamSynchronize(s), "emulated all-reduce kernel");
        } catch (...) {
            m_aborted = true;
            m_cv.notify_all();
            throw;
        }
        m_arrived = 0;
        ++m_round;
        m_cv.notify_all();
        return;
    }
    const uint64_t round = m_round;
    m_cv.wait(lock, [&] { return m_round != round || m_aborted; });
    if (m_round == round) throw cuda_error("emulated all-reduce: another rank failed");
}

void tp_emulated_collective::abort() {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_aborted = true;
    m_cv.notify_all();
    m_vote.abort();
}

void tp_emulated_collective::reset() {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_aborted = false;
    m_arrived = 0;
    m_vote.reset();
}

}  // namespace m1::cuda
