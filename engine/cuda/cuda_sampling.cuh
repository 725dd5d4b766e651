// Sampling on the GPU from one device row of logits (CPU counterpart: engine/sampling/sampler.h, whose choices it
// reproduces id for id when handed the same uniform draw u): ids >= valid_vocab, banned ids, -inf and NaN are never
// chosen; temperature <= 0 or top_k == 1 is argmax (the first of equal maxima); otherwise top-k, then top-p over
// softmax(logit / T), then the draw walks the kept ids in id order, exactly as sampler::sample_with does.
//
// How: candidates are ordered by a 64-bit key (the logit's order-preserving bits, then the inverted id), the same
// strict total order as the CPU's better(). The k-th best key and the top-p boundary are found by radix selection
// over that key (8 passes of 8 bits: counts for top-k, probability mass for top-p), so nothing is sorted. Weights
// exp((logit − best) / T) are rounded from a double exp (the CPU's std::exp(float) is correctly rounded in practice;
// CUDA's expf is not). Sums are doubles, in a different order than the CPU's: a choice can differ only when u lands
// within ~1e-16 relative of a boundary between two ids.
//
// Three kernels on one stream (argmax on one CTA, weights on a grid, selection and draw on one CTA), no host
// synchronisation; with u read from device memory the launch can live inside a captured CUDA graph.
// (Kernels build as C++17: no std::span in this header.)
// Thread-safety: launch_sample is stateless; a cuda_sampler is used by one thread at a time.
#pragma once

#include "engine/cuda/cuda_util.h"

#include <cstdint>

namespace m1::cuda {

struct sample_params {
    const float* logits = nullptr;  // (V) device
    int64_t V = 0;
    int32_t valid_vocab = 0;          // ids >= this are never chosen
    const uint8_t* banned = nullptr;  // (valid_vocab) device, 1 = never chosen; nullptr = none
    float temperature = 1.0f;         // <= 0: argmax
    float top_p = 1.0f;               // >= 1: off
    int32_t top_k = 0;                // 0: off; 1: argmax
    double u = 0;                     // the uniform draw in [0, 1) ...
    const double* u_dev = nullptr;    // ... or read from device memory when set (graph replays)
    float* weights = nullptr;         // (V) device scratch
    int32_t* out = nullptr;           // device: the chosen id, −1 when no id is allowed; out[1..3] scratch
};
// out must hold 4 int32 (the id and the kernels' shared scalars).
cudaError_t launch_sample(const sample_params& p, cudaStream_t s);

// What a backend holds to sample on the GPU: the banned mask, the scratch and a pinned word for the answer.
class cuda_sampler {
public:
    cuda_sampler(float temperature, float top_p, int32_t top_k, int32_t valid_vocab);
    ~cuda_sampler();
    cuda_sampler(const cuda_sampler&) = delete;
    cuda_sampler& operator=(const cuda_sampler&) = delete;

    // Replaces the banned set (ids outside [0, valid_vocab) are ignored).
    void set_banned_ids(const int32_t* ids, size_t count);
    // One id from the device row d_logits (V) given the draw u (ignored when greedy); waits for the stream and
    // copies back only the id. Throws cuda_error.
    int32_t sample(const float* d_logits, int64_t V, double u, cudaStream_t s);

private:
    sample_params m_p;
    device_buffer<uint8_t> m_banned;
    device_buffer<float> m_weights;
    device_buffer<int32_t> m_out;
    int32_t* m_host = nullptr;  // pinned
};

}  // namespace m1::cuda
