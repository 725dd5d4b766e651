#include "engine/bench/bench_ceilings.h"

#include "engine/bench/bench_timer.h"
#include "engine/cuda/cuda_gemm.h"
#include "engine/cuda/cuda_random.cuh"

namespace m1::bench {

using namespace m1::cuda;

device_info query_device(int device) {
    check(cudaSetDevice(device), "cudaSetDevice");
    cudaDeviceProp prop{};
    check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
    return {prop.name, prop.multiProcessorCount, double(prop.totalGlobalMem)};
}

ceilings measure_ceilings() {
    ceilings c;
    {
        const size_t bytes = size_t(4) << 30;
        device_buffer<char> src(bytes), dst(bytes);
        check(cudaMemset(src.data(), 0x5a, bytes), "cudaMemset");
        const double s = event_median_s(
            [&] { check(cudaMemcpyAsync(dst.data(), src.data(), bytes, cudaMemcpyDeviceToDevice, nullptr), "copy"); },
            2, 10);
        c.copy_bytes_per_s = 2.0 * double(bytes) / s;
    }
    {
        const int64_t n = 8192;
        device_buffer<bf16> a(size_t(n * n)), b(size_t(n * n));
        device_buffer<float> y(size_t(n * n));
        fill_uniform(a.data(), n * n, 11, 1);
        fill_uniform(b.data(), n * n, 12, 1);
        cublas_handle h(nullptr);
        const double s = event_median_s([&] { linear_bf16(h.get(), a.data(), n, n, b.data(), n, y.data()); }, 2, 10);
        c.gemm_flops_per_s = 2.0 * double(n) * double(n) * double(n) / s;
    }
    return c;
}

}  // namespace m1::bench
