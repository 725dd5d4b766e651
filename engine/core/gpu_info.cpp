#include "engine/core/build_info.h"

#include <cstdio>

#ifdef M1_HAVE_CUDA
#include <cuda_runtime_api.h>
#endif

namespace m1 {

bool cuda_built_in() {
#ifdef M1_HAVE_CUDA
    return true;
#else
    return false;
#endif
}

gpu_report query_gpus() {
    gpu_report report;
#ifdef M1_HAVE_CUDA
    int count = 0;
    cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) {
        report.why_none = cudaGetErrorString(err);
        cudaGetLastError();  // clear the sticky-free error so later calls start clean
        return report;
    }
    for (int i = 0; i < count; ++i) {
        cudaDeviceProp prop{};
        if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
        report.devices.push_back({i, prop.name, prop.major, prop.minor, prop.totalGlobalMem});
    }
    if (report.devices.empty()) report.why_none = "the CUDA runtime reports no device";
#else
    report.why_none = "CUDA not built in";
#endif
    return report;
}

std::string describe_gpus(const gpu_report& report) {
    if (report.devices.empty()) return "no GPU (" + report.why_none + ")";
    std::string out;
    for (const gpu_device& d : report.devices) {
        char line[256];
        std::snprintf(line, sizeof line, "%sGPU %d: %s (sm_%d%d, %.1f GiB)", out.empty() ? "" : "\n", d.index,
                      d.name.c_str(), d.cc_major, d.cc_minor, double(d.total_bytes) / (1024.0 * 1024.0 * 1024.0));
        out += line;
    }
    return out;
}

}  // namespace m1
