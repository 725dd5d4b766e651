#include "engine/tp/tp_collectives.h"

#include <algorithm>

namespace m1::tp {

namespace {

template <typename T>
void all_reduce_sum_impl(std::span<T* const> buffers, int64_t count) {
    if (buffers.size() < 2) return;
    T* first = buffers[0];
    for (size_t r = 1; r < buffers.size(); ++r)
        for (int64_t i = 0; i < count; ++i) first[i] += buffers[r][i];
    for (size_t r = 1; r < buffers.size(); ++r) std::copy_n(first, count, buffers[r]);
}

}  // namespace

void all_reduce_sum(std::span<float* const> buffers, int64_t count) {
    all_reduce_sum_impl(buffers, count);
}

void all_reduce_sum(std::span<double* const> buffers, int64_t count) {
    all_reduce_sum_impl(buffers, count);
}

void all_gather_columns(std::span<const float* const> buffers, int64_t rows, int64_t cols_per_rank, float* out) {
    const int64_t width = cols_per_rank * int64_t(buffers.size());
    for (size_t r = 0; r < buffers.size(); ++r)
        for (int64_t t = 0; t < rows; ++t)
            std::copy_n(buffers[r] + t * cols_per_rank, cols_per_rank, out + t * width + int64_t(r) * cols_per_rank);
}

}  // namespace m1::tp
