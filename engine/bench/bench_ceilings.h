// The two ceilings every floor is measured against, taken in the same run as the benchmark (shared/guide/gpu.md):
//   copy  a 4 GiB device-to-device cudaMemcpy, bytes read + written, median of 10 after a warm-up
//   GEMM  cuBLAS bf16 × bf16 → fp32 (the engine's linear_bf16) at 8192³ on random data (never zeros: a product of
//         zeros runs faster), median of 10 after a warm-up
// Also the device's name, SM count and memory. Buffers are freed before returning.
// Thread-safety: uses the current device; one call at a time.
#pragma once

#include "engine/bench/bench_report.h"

namespace m1::bench {

// Throws cuda_error when no device is usable or a call fails.
device_info query_device(int device = 0);
ceilings measure_ceilings();

}  // namespace m1::bench
