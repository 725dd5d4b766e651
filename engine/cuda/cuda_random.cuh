// Seeded random weights generated on the GPU, value for value those of m1::random_tensor_values (model_presets.h):
// element i of tensor `name` is splitmix64_mix(stream + (i + 1)·φ) with stream = splitmix64_mix(seed) ^
// fnv1a64(name), mapped to [0, 1) by its top 53 bits, then to center + (2u − 1)·half_width in double and rounded to
// fp32 (and to bf16, round to nearest even, for bf16 tensors). Lets benchmarks build configurations too large for
// disk (W16: ~99 GB) in seconds, and tests compare them with a written random checkpoint bit for bit.
//
// Thread-safety: stateless launchers.
#pragma once

#include "engine/cuda/cuda_util.h"

#include <cstdint>
#include <string>

namespace m1 {
struct tensor_spec;  // engine/model/checkpoint.h (C++20; the kernels compile as C++17, so it is not included here)
}

namespace m1::cuda {

struct random_params {
    uint64_t stream = 0;  // random_stream(seed, name)
    double center = 0, half_width = 0;
    int64_t count = 0;
    bool round_bf16 = true;  // the tensor's dtype is bf16: round values to bf16 before storing
    bf16* out16 = nullptr;   // store as bf16 (round_bf16 must be set), or
    float* out32 = nullptr;  // store as fp32
};

// Host side (cuda_random_host.cpp).
uint64_t random_stream(uint64_t seed, const std::string& name);
// center and half_width of a tensor, by the rules of random_tensor_values (norms 1 ± 0.2, embeddings σ = 1,
// Linear [out, in] σ = 1/√in, uniform of half-width √3·σ).
random_params random_params_for(const tensor_spec& spec, uint64_t seed);

cudaError_t launch_random(const random_params& p, cudaStream_t s);

// count uniform values in center ± half_width from `stream` into out (bf16, or fp32 as drawn), on the default stream:
// the benchmarks' random inputs. Throws cuda_error when the launch fails.
void fill_uniform(bf16* out, int64_t count, uint64_t stream, double half_width, double center = 0);
void fill_uniform(float* out, int64_t count, uint64_t stream, double half_width, double center = 0);

}  // namespace m1::cuda
