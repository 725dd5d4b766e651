// The NCCL collective (cuda_tp_collective.h): one GPU per rank, one communicator per rank made together by
// ncclCommInitAll in this process; all_reduce_sum is ncclAllReduce (fp32, sum, in place) on the rank's stream, so it
// is ordered with the rank's kernels without a host synchronisation (and can be captured in a CUDA graph).
// NVLink multicast (NVLS) is switched off before the communicators are made (NCCL_NVLS_ENABLE=0): on the shared
// multi-GPU hosts it can put the GPUs out of service.
//
// Built only when NCCL's header is found (engine/cuda/CMakeLists.txt); the library is opened at run time (dlopen),
// so cuda_tp_backend.h's nccl_available() is a run-time answer.
// Ownership: owns the communicators. Thread-safety: see tp_collective (each rank's thread uses its own communicator).
#pragma once

#include "engine/cuda/cuda_tp_collective.h"

#include <memory>
#include <string>
#include <vector>

namespace m1::cuda {

// Whether libnccl could be loaded (it is opened on first use, not linked); why says why not.
bool nccl_loadable(std::string* why = nullptr);

// devices: the CUDA device of each rank (distinct). Throws cuda_error naming NCCL's message on failure.
std::unique_ptr<tp_collective> make_nccl_collective(const std::vector<int>& devices);

}  // namespace m1::cuda
