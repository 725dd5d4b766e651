// The emulated collective (cuda_tp_collective.h): the ranks of a TP group share one GPU, each rank's forward pass
// runs in its own host thread on its own stream, and an all-reduce is a rendezvous: each rank finishes its stream's
// work, the last rank to arrive launches one kernel that sums every rank's buffer in rank order into all of them,
// and waits for it; then all ranks continue. The sum is deterministic (rank order, whoever arrives last), so the
// emulation gives the numbers NCCL's sum gives up to the order of additions (identical for 2 ranks).
//
// Ownership: holds no device memory (the buffers are the ranks'). Thread-safety: see tp_collective.
#pragma once

#include "engine/cuda/cuda_tp_collective.h"
#include "engine/cuda/cuda_tp_vote.h"

#include <condition_variable>
#include <mutex>
#include <vector>

namespace m1::cuda {

class tp_emulated_collective final : public tp_collective {
public:
    explicit tp_emulated_collective(int ranks);  // throws std::invalid_argument outside [1, k_max_ranks]
    int size() const override { return m_size; }
    void all_reduce_sum(int rank, float* data, int64_t count, cudaStream_t s) override;
    bool graph_capturable() const override { return false; }  // the rendezvous synchronises on the host
    bool all_agree(int rank, bool ok) override { return m_vote.vote(rank, ok); }
    void abort() override;
    void reset() override;

private:
    int m_size;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::vector<float*> m_buffers;  // this round's buffer of each rank
    int64_t m_count = -1;           // this round's element count (every rank must pass the same)
    int m_arrived = 0;
    uint64_t m_round = 0;
    bool m_aborted = false;
    tp_host_vote m_vote;
};

}  // namespace m1::cuda
