#include "engine/cuda/cuda_tp_nccl.h"

#include "engine/cuda/cuda_tp_vote.h"
#include "engine/cuda/cuda_util.h"

#include <dlfcn.h>
#include <nccl.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

namespace m1::cuda {

namespace {

// NCCL is loaded when first needed rather than linked: libnccl is ~220 MB, and an engine linked to it would not
// start on a machine without it even for one-GPU work. Looked for in $M1_NCCL_LIBRARY, then by soname (the loader's
// path), then where CMake found it at configure time.
struct nccl_api {
    decltype(&ncclCommInitAll) comm_init_all = nullptr;
    decltype(&ncclAllReduce) all_reduce = nullptr;
    decltype(&ncclCommAbort) comm_abort = nullptr;
    decltype(&ncclCommDestroy) comm_destroy = nullptr;
    decltype(&ncclGetErrorString) error_string = nullptr;
    std::string error;  // why loading failed
};

const nccl_api& nccl() {
    static nccl_api api;
    static std::once_flag once;
    std::call_once(once, [] {
        std::vector<std::string> names;
        if (const char* e = std::getenv("M1_NCCL_LIBRARY"); e && *e) names.push_back(e);
        names.push_back("libnccl.so.2");
#ifdef M1_NCCL_PATH
        names.push_back(M1_NCCL_PATH);
#endif
        void* lib = nullptr;
        for (const std::string& n : names)
            if ((lib = dlopen(n.c_str(), RTLD_NOW | RTLD_LOCAL))) break;
        if (!lib) {
            api.error = std::string("cannot load NCCL (libnccl.so.2; set M1_NCCL_LIBRARY to its path): ") + dlerror();
            return;
        }
        api.comm_init_all = reinterpret_cast<decltype(&ncclCommInitAll)>(dlsym(lib, "ncclCommInitAll"));
        api.all_reduce = reinterpret_cast<decltype(&ncclAllReduce)>(dlsym(lib, "ncclAllReduce"));
        api.comm_abort = reinterpret_cast<decltype(&ncclCommAbort)>(dlsym(lib, "ncclCommAbort"));
        api.comm_destroy = reinterpret_cast<decltype(&ncclCommDestroy)>(dlsym(lib, "ncclCommDestroy"));
        api.error_string = reinterpret_cast<decltype(&ncclGetErrorString)>(dlsym(lib, "ncclGetErrorString"));
        if (!api.comm_init_all || !api.all_reduce || !api.comm_abort || !api.comm_destroy || !api.error_string) {
            api.comm_init_all = nullptr;
            api.error = "the NCCL library lacks ncclCommInitAll, ncclAllReduce, ncclCommAbort or ncclCommDestroy";
        }
    });
    return api;
}

void check_nccl(ncclResult_t r, const char* what) {
    if (r != ncclSuccess && r != ncclInProgress)
        throw cuda_error(std::string("NCCL: ") + what + ": " + nccl().error_string(r));
}

class nccl_collective final : public tp_collective {
public:
    explicit nccl_collective(std::vector<int> devices) : m_devices(std::move(devices)), m_vote(int(m_devices.size())) {
        init();
    }
    ~nccl_collective() override { destroy(); }

    int size() const override { return int(m_devices.size()); }

    void all_reduce_sum(int rank, float* data, int64_t count, cudaStream_t s) override {
        if (m_aborted) throw cuda_error("NCCL all-reduce: another rank failed");
        check_nccl(nccl().all_reduce(data, data, size_t(count), ncclFloat, ncclSum, m_comms[size_t(rank)], s),
                   "ncclAllReduce");
    }

    // ncclAllReduce only enqueues on s; NCCL supports capture since 2.9 (CUDA >= 11.3). The ranks capture from
    // their own threads, hence cudaStreamCaptureModeThreadLocal in cuda_decode.cpp (NCCL's advice for that case).
    bool graph_capturable() const override { return true; }
    bool all_agree(int rank, bool ok) override { return m_vote.vote(rank, ok); }
    uint64_t epoch() const override { return m_epoch; }

    // A rank that fails leaves its peers' all-reduce kernels waiting; aborting the communicators releases them.
    void abort() override {
        m_vote.abort();
        if (m_aborted.exchange(true)) return;
        for (ncclComm_t c : m_comms) nccl().comm_abort(c);
        m_comms.clear();
    }

    void reset() override {
        m_vote.reset();
        if (!m_aborted) return;
        init();
        ++m_epoch;
        m_aborted = false;
    }

private:
    void init() {
        setenv("NCCL_NVLS_ENABLE", "0", 1);  // before any communicator exists; see the header
        m_comms.assign(m_devices.size(), nullptr);
        check_nccl(nccl().comm_init_all(m_comms.data(), int(m_devices.size()), m_devices.data()), "ncclCommInitAll");
    }
    void destroy() {
        for (ncclComm_t c : m_comms)
            if (c) nccl().comm_destroy(c);
        m_comms.clear();
    }

    std::vector<int> m_devices;
    std::vector<ncclComm_t> m_comms;
    std::atomic<bool> m_aborted{false};
    tp_host_vote m_vote;
    std::atomic<uint64_t> m_epoch{0};  // communicators made again after an abort
};

}  // namespace

bool nccl_loadable(std::string* why) {
    if (!nccl().comm_init_all && why) *why = nccl().error;
    return nccl().comm_init_all != nullptr;
}

std::unique_ptr<tp_collective> make_nccl_collective(const std::vector<int>& devices) {
    if (std::string why; !nccl_loadable(&why)) throw cuda_error("tensor parallelism over NCCL: " + why);
    return std::make_unique<nccl_collective>(devices);
}

}  // namespace m1::cuda
