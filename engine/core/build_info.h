// Build facts and GPU discovery for `m1 version` and the desktop's About box.
// Thread-safe: every function here may be called from any thread.
#pragma once

#include <string>
#include <vector>

namespace m1 {

const char* version_string();  // "0.1.0"
const char* build_type();      // CMAKE_BUILD_TYPE at configure time
bool cuda_built_in();          // true when the engine was compiled with its CUDA backend

struct gpu_device {
    int index = 0;
    std::string name;
    int cc_major = 0, cc_minor = 0;  // compute capability
    size_t total_bytes = 0;
};

struct gpu_report {
    std::vector<gpu_device> devices;
    std::string why_none;  // when devices is empty: "CUDA not built in", or the driver's reason
};

// Asks the CUDA runtime which GPUs it sees. Never throws; on a machine without a driver it returns no devices and
// the runtime's reason. Costs a CUDA context probe (tens of milliseconds) on first use.
gpu_report query_gpus();

// "GPU 0: NVIDIA H200 (sm_90, 139.8 GiB)" lines, or "no GPU (<reason>)".
std::string describe_gpus(const gpu_report& report);

}  // namespace m1
