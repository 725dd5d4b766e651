// A lightning layer split over tensor-parallel ranks (spec minimax-m1.md §4.3, §5), the ranks run one after another.
// Rank r owns whole heads [r·nh/TP, (r+1)·nh/TP) with the slopes of those GLOBAL heads. The output RMSNorm spans
// all D = nh·d dims, so each rank sums the squares of its (n, Dr) slice, the sums are all-reduced, and each rank
// then normalises its own slice; the gate and out_proj (row-parallel) follow locally and the (n, H) partial
// outputs are all-reduced.
//
// Thread-safety: pure function on caller-owned buffers; heads of one rank are spread over threads.
#pragma once

#include "engine/cpu/cpu_weights.h"
#include "engine/tp/tp_plan.h"

#include <cstdint>
#include <span>
#include <vector>

namespace m1::tp {

// c: the whole model's config; w[r]: rank r's sliced layer weights; slopes: (nh) of this layer for ALL heads;
// h: (n, H) the normed layer input (replicated); states[r]: (nh/TP, d, d) advanced by n tokens;
// partials[r]: (n, H) written; afterwards every one holds the all-reduced attention branch output.
void lightning_layer_tp(const model_config& c, const tp_plan& plan, std::span<const cpu::layer_weights* const> w,
                        const std::vector<float>& slopes, const float* h, int64_t n, std::span<float* const> states,
                        std::span<float* const> partials, int n_threads);

}  // namespace m1::tp
