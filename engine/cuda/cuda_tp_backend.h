// Tensor parallelism on the GPU: an m1::backend ("cuda-tpN") that owns N cuda_backend ranks, each holding its slice
// of the weights (engine/tp/tp_plan.h: whole heads, kv heads split or replicated, experts split along the
// intermediate dimension, vocabulary-parallel embedding and LM head) and each running the forward pass in its own
// host thread (kept from call to call: cuda_tp_threads.h); the ranks meet at the all-reduces of
// cuda_tp_collective.h, and the LM head's vocabulary slices are gathered on the host in rank order.
//
//   mode nccl      rank r on GPU devices[r] (default 0..N−1), NCCL all-reduces (needs N GPUs and NCCL).
//   mode emulated  every rank on one GPU (devices[0]); all-reduce by a summation kernel once every rank has its
//                  partial result: the single-GPU check that TP = 2/4/8 gives the TP = 1 logits.
// Steps of at most 8 tokens take each rank's decode path (cuda_decode.h), single tokens through a CUDA graph per
// rank and state when the collective can be captured (NCCL); emulated ranks run the decode step without graphs.
//
// Ownership: owns its ranks and the collective; states made by new_state() hold one cuda_state per rank (each on its
// rank's GPU) and are owned by the caller. Thread-safety: forward() calls are serialised by a mutex.
#pragma once

#include "engine/cuda/cuda_backend.h"
#include "engine/cuda/cuda_tp_collective.h"
#include "engine/cuda/cuda_tp_threads.h"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace m1::cuda {

enum class tp_mode { emulated, nccl };

struct cuda_tp_options {
    int tp_size = 2;
    tp_mode mode = tp_mode::nccl;
    std::vector<int> devices;  // nccl: one per rank (default 0..tp_size−1); emulated: devices[0] (default 0)
    cuda_options rank;         // precision, context, max_chunk for every rank (device and tp fields are set here;
                               // max_chunk 0: k_tp_chunk, cuda_backend.h)
};

// Whether this build has NCCL (engine/cuda/CMakeLists.txt finds its header next to the CUDA toolkit) and its library
// can be loaded on this machine.
bool nccl_available();

// The collective of a TP group: emulated (every rank on one GPU; devices ignored, size = devices.size()) or NCCL over
// the given devices. Throws cuda_error when NCCL is asked for but not built in.
std::unique_ptr<tp_collective> make_tp_collective(tp_mode mode, const std::vector<int>& devices);

// "cuda-tp2" -> 2, "cuda-tp8-emulated" -> 8 with emulated set; 0 for a name of another form.
int parse_tp_backend_name(const std::string& name, bool& emulated);

class cuda_tp_state final : public backend_state {
public:
    ~cuda_tp_state() override;
    int64_t n_past() const override { return ranks.empty() ? 0 : ranks[0]->n_past(); }
    std::unique_ptr<backend_state> clone() const override;
    size_t bytes() const override;

    const void* owner = nullptr;
    std::vector<int> devices;                           // the GPU of each rank's state
    std::vector<std::unique_ptr<backend_state>> ranks;  // cuda_state of each rank
};

class cuda_tp_backend final : public backend {
public:
    // Throws tp_error when the model does not split over tp_size ranks, cuda_error when fewer GPUs are visible than
    // nccl mode needs or NCCL is missing, and what cuda_backend throws (checkpoint, memory plan per GPU).
    cuda_tp_backend(const checkpoint& ck, cuda_tp_options options);
    // Seeded random weights (cuda_backend's random constructor), each rank generating its part.
    cuda_tp_backend(const model_config& c, uint64_t seed, cuda_tp_options options);
    ~cuda_tp_backend() override;

    std::string name() const override;
    const model_config& config() const override { return m_config; }
    std::unique_ptr<backend_state> new_state() const override;
    void forward(backend_state& state, std::span<const int32_t> ids, logits_rows rows, float* logits) override;

    int size() const { return int(m_ranks.size()); }
    // Every rank's decode path switches (cuda_backend::set_decode_path): steps of <= 8 tokens through the decode
    // kernels (else the chunk path), single tokens through per-rank CUDA graphs (NCCL only; see cuda_decode.h).
    void set_decode_path(bool kernels, bool graphs) {
        std::lock_guard<std::mutex> lock(m_mutex);
        for (auto& r : m_ranks) r->set_decode_path(kernels, graphs);
    }
    const cuda_backend& rank(int r) const { return *m_ranks.at(size_t(r)); }

private:
    template <class Make>
    void build(Make&& make_rank);

    model_config m_config;
    cuda_tp_options m_options;
    std::vector<int> m_devices;  // per rank
    std::unique_ptr<tp_collective> m_collective;
    std::vector<std::unique_ptr<cuda_backend>> m_ranks;
    std::vector<std::vector<float>> m_shards;  // per rank: (rows, V/N) logits slice of the last call
    std::unique_ptr<tp_rank_threads> m_threads;  // made with the ranks
    std::mutex m_mutex;
};

}  // namespace m1::cuda
