// A tensor-parallel rank's part of a weight tensor, and the two ways the CUDA backend fills it: from a checkpoint's
// tensor (only the part's elements are read from the mapped file and converted to floats) and from the seeded random stream of cuda_random.cuh (the whole tensor generated into a
// scratch buffer on the GPU, then the part copied out, so every rank holds exactly the values of the same elements
// of the whole model). Which part each rank owns is engine/tp/tp_plan.h's business; this file only cuts.
//
// Thread-safety: pure functions; the random variant uses the caller's scratch and stream.
#pragma once

#include "engine/cuda/cuda_util.h"
#include "engine/tp/tp_plan.h"

#include <cstdint>
#include <vector>

namespace m1 {
struct tensor_spec;
struct tensor_view;
}

namespace m1::cuda {

// Rows × columns of a row-major (R, C) tensor (a 1-D tensor is (R, 1)); an empty range means the whole dimension.
struct tensor_part {
    tp::index_range rows, cols;
    bool whole() const { return rows.size() == 0 && cols.size() == 0; }
};

// The part of a checkpoint tensor (its shape read as (shape[0], the rest)) as a contiguous (part rows, part cols)
// float array. Throws std::out_of_range when the part lies outside the tensor, checkpoint_error when the tensor's
// bytes do not match its shape.
std::vector<float> view_part(const tensor_view& t, const tensor_part& part);

// Elements in the part of a tensor of shape (rows, cols).
int64_t part_count(int64_t rows, int64_t cols, const tensor_part& part);

// Fills out16 (bf16) or out32 (fp32) — exactly one non-null — with the part of the seeded random tensor `spec`,
// values identical to those of the whole tensor's elements. scratch16 / scratch32 are grown as needed when the part
// is not the whole tensor. Enqueued on s; throws cuda_error.
void random_part(const tensor_spec& spec, uint64_t seed, const tensor_part& part, bf16* out16, float* out32,
                 device_buffer<bf16>& scratch16, device_buffer<float>& scratch32, cudaStream_t s);

}  // namespace m1::cuda
