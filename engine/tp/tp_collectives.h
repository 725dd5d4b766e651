// The collective operations of tensor parallelism, emulated in one process: every rank's buffer lives in host memory
// and the ranks are visited in order. These are the only points where ranks exchange data, so an NCCL version
// (ncclAllReduce with ncclSum, ncclAllGather) replaces exactly these functions.
//
// Thread-safety: pure functions on caller-owned buffers; no two buffers may overlap.
#pragma once

#include <cstdint>
#include <span>

namespace m1::tp {

// All-reduce by summation: afterwards every rank's buffer holds Σ_r buffers[r][i] for i < count, summed in rank
// order (rank 0 + rank 1 + ...), the same value in every buffer.
void all_reduce_sum(std::span<float* const> buffers, int64_t count);
void all_reduce_sum(std::span<double* const> buffers, int64_t count);

// All-gather along columns: rank r's buffer is (rows, cols_per_rank); out is (rows, ranks · cols_per_rank) with rank
// r's columns at [r · cols_per_rank, (r + 1) · cols_per_rank) — the concatenation of the vocabulary-parallel LM head.
void all_gather_columns(std::span<const float* const> buffers, int64_t rows, int64_t cols_per_rank, float* out);

}  // namespace m1::tp
