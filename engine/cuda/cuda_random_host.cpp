// The host half of cuda_random.cuh: which stream and which value range each tensor gets.
#include "engine/cuda/cuda_random.cuh"
#include "engine/model/checkpoint.h"

#include <cmath>

namespace m1::cuda {

namespace {

uint64_t splitmix64_mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

}  // namespace

uint64_t random_stream(uint64_t seed, const std::string& name) {
    uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a, 64 bits
    for (unsigned char c : name) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    return splitmix64_mix(seed) ^ h;
}

random_params random_params_for(const tensor_spec& spec, uint64_t seed) {
    random_params p;
    p.stream = random_stream(seed, spec.name);
    p.count = spec.numel();
    p.round_bf16 = spec.type == dtype::bf16;
    const bool is_norm = spec.shape.size() == 1;
    const double sigma = spec.name == tensor_names::embed_tokens ? 1.0
                         : is_norm                               ? 0.0
                                                                 : 1.0 / std::sqrt(double(spec.shape.back()));
    p.half_width = is_norm ? 0.2 : std::sqrt(3.0) * sigma;
    p.center = is_norm ? 1.0 : 0.0;
    return p;
}

namespace {

void launch_uniform(random_params p, int64_t count, uint64_t stream, double half_width, double center) {
    p.stream = stream;
    p.center = center;
    p.half_width = half_width;
    p.count = count;
    check(launch_random(p, nullptr), p.out16 ? "random fill (bf16)" : "random fill (fp32)");
}

}  // namespace

void fill_uniform(bf16* out, int64_t count, uint64_t stream, double half_width, double center) {
    random_params p;
    p.out16 = out;
    launch_uniform(p, count, stream, half_width, center);
}

void fill_uniform(float* out, int64_t count, uint64_t stream, double half_width, double center) {
    random_params p;
    p.round_bf16 = false;
    p.out32 = out;
    launch_uniform(p, count, stream, half_width, center);
}

}  // namespace m1::cuda
