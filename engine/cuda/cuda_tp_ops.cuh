// Kernels of tensor parallelism on the GPU (CPU counterparts: engine/tp/tp_emulated_backend.cpp, tp_lightning.cpp,
// tp_collectives.cpp). Launchers return the launch's cudaError_t and never throw; layout row-major.
// Thread-safety: launchers are stateless.
#pragma once

#include "engine/cuda/cuda_util.h"

#include <cstdint>

namespace m1::cuda {

// The vocabulary-parallel embedding: out[t, :] = float(table[ids[t] − begin, :]) when begin <= ids[t] < end, else
// zeros (another rank owns that row; the all-reduce fills it in). table: (end − begin, H) bf16 rows of this rank.
cudaError_t launch_embed_part(const int32_t* ids, const bf16* table, int64_t n, int64_t H, int64_t begin,
                              int64_t end, float* out, cudaStream_t s);

// ss[t] = Σ_i x[t, i]² over this rank's dim columns (fp32): the partial sums of squares of an RMSNorm whose row is
// split over ranks.
cudaError_t launch_sum_squares(const float* x, int64_t n, int64_t dim, float* ss, cudaStream_t s);

// y[t, i] = w[i] · (x[t, i] · rsqrt(ss[t] / total_dim + eps)): the RMSNorm applied to this rank's columns with the
// all-reduced sums of squares of the whole row (total_dim = the dims of all ranks). y may alias x.
cudaError_t launch_apply_norm(const float* x, const float* ss, const float* w, int64_t n, int64_t dim,
                              int64_t total_dim, float eps, float* y, cudaStream_t s);

// The emulated all-reduce: buffers[r] (device pointers, r < ranks <= k_max_ranks) each hold count floats; afterwards
// every buffer holds Σ_r buffers[r][i], added in rank order.
inline constexpr int k_max_ranks = 16;
struct sum_ranks_params {
    float* buffers[k_max_ranks] = {};
    int ranks = 0;
    int64_t count = 0;
};
cudaError_t launch_sum_ranks(const sum_ranks_params& p, cudaStream_t s);

}  // namespace m1::cuda
