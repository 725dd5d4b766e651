#include "engine/cuda/cuda_tp_backend.h"

#include "engine/cuda/cuda_tp_emulated.h"
#include "engine/tp/tp_plan.h"
#ifdef M1_HAVE_NCCL
#include "engine/cuda/cuda_tp_nccl.h"
#endif

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <functional>
#include <stdexcept>
#include <thread>

namespace m1::cuda {

bool nccl_available() {
#ifdef M1_HAVE_NCCL
    return nccl_loadable();
#else
    return false;
#endif
}

std::unique_ptr<tp_collective> make_tp_collective(tp_mode mode, const std::vector<int>& devices) {
    if (mode == tp_mode::emulated) return std::make_unique<tp_emulated_collective>(int(devices.size()));
#ifdef M1_HAVE_NCCL
    return make_nccl_collective(devices);
#else
    throw cuda_error("tensor parallelism over NCCL: this build has no NCCL (use the emulated mode on one GPU)");
#endif
}

int parse_tp_backend_name(const std::string& name, bool& emulated) {
    const std::string prefix = "cuda-tp", suffix = "-emulated";
    emulated = false;
    if (name.rfind(prefix, 0) != 0) return 0;
    std::string digits = name.substr(prefix.size());
    if (digits.size() > suffix.size() && digits.compare(digits.size() - suffix.size(), suffix.size(), suffix) == 0) {
        emulated = true;
        digits.resize(digits.size() - suffix.size());
    }
    if (digits.empty() || digits.size() > 2 || !std::all_of(digits.begin(), digits.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) return 0;
    return std::atoi(digits.c_str());
}

cuda_tp_state::~cuda_tp_state() {
    for (size_t r = 0; r < ranks.size(); ++r) {
        if (r < devices.size()) cudaSetDevice(devices[r]);  // free each rank's memory with its GPU current
        ranks[r].reset();
    }
}

std::unique_ptr<backend_state> cuda_tp_state::clone() const {
    auto s = std::make_unique<cuda_tp_state>();
    s->owner = owner;
    s->devices = devices;
    for (size_t r = 0; r < ranks.size(); ++r) {
        check(cudaSetDevice(devices[r]), "cudaSetDevice");
        s->ranks.push_back(ranks[r]->clone());
    }
    return s;
}

size_t cuda_tp_state::bytes() const {
    size_t n = 0;
    for (const auto& r : ranks) n += r->bytes();
    return n;
}

template <class Make>
void cuda_tp_backend::build(Make&& make_rank) {
    const int N = m_options.tp_size;
    tp::make_tp_plan(m_config, N);  // refuse an impossible split before touching a GPU
    int visible = 0;
    check(cudaGetDeviceCount(&visible), "cudaGetDeviceCount");
    if (m_options.mode == tp_mode::nccl) {
        m_devices = m_options.devices;
        if (m_devices.empty())
            for (int r = 0; r < N; ++r) m_devices.push_back(r);
        if (int(m_devices.size()) != N)
            throw std::invalid_argument(name() + ": " + std::to_string(m_devices.size()) + " devices for " +
                                        std::to_string(N) + " ranks");
        if (visible < N)
            throw cuda_error(name() + ": needs " + std::to_string(N) + " GPUs, " + std::to_string(visible) +
                             " visible (the emulated mode runs every rank on one GPU)");
    } else {
        m_devices.assign(size_t(N), m_options.devices.empty() ? 0 : m_options.devices[0]);
    }
    m_collective = make_tp_collective(m_options.mode, m_devices);
    m_ranks.resize(size_t(N));
    std::vector<std::exception_ptr> errors(static_cast<size_t>(N));
    const auto load_rank = [&](int r) {
        try {
            cuda_options o = m_options.rank;
            o.device = m_devices[size_t(r)];
            o.tp_rank = r;
            o.tp_size = N;
            o.collective = m_collective.get();
            m_ranks[size_t(r)] = make_rank(o);
        } catch (...) {
            errors[size_t(r)] = std::current_exception();
        }
    };
    if (m_options.mode == tp_mode::nccl) {  // one thread per GPU: each reads and uploads its own parts
        std::vector<std::thread> threads;
        for (int r = 0; r < N; ++r) threads.emplace_back(load_rank, r);
        for (auto& t : threads) t.join();
    } else {  // one GPU: in turn, so that each rank's memory plan sees what the previous ranks took
        for (int r = 0; r < N; ++r) load_rank(r);
    }
    for (const auto& e : errors)
        if (e) {
            for (size_t r = 0; r < m_ranks.size(); ++r) {  // free what the other ranks loaded, each on its GPU
                cudaSetDevice(m_devices[r]);
                m_ranks[r].reset();
            }
            std::rethrow_exception(e);
        }
    m_shards.resize(size_t(N));
    m_threads = std::make_unique<tp_rank_threads>(N);
}

cuda_tp_backend::cuda_tp_backend(const checkpoint& ck, cuda_tp_options options)
    : m_config(ck.config()), m_options(std::move(options)) {
    build([&](const cuda_options& o) { return std::make_unique<cuda_backend>(ck, o); });
}

cuda_tp_backend::cuda_tp_backend(const model_config& c, uint64_t seed, cuda_tp_options options)
    : m_config(c), m_options(std::move(options)) {
    build([&](const cuda_options& o) { return std::make_unique<cuda_backend>(c, seed, o); });
}

cuda_tp_backend::~cuda_tp_backend() {
    for (size_t r = 0; r < m_ranks.size(); ++r) {
        cudaSetDevice(m_devices[r]);
        m_ranks[r].reset();
    }
    m_collective.reset();
}

std::string cuda_tp_backend::name() const {
    return "cuda-tp" + std::to_string(m_options.tp_size) + (m_options.mode == tp_mode::emulated ? "-emulated" : "");
}

std::unique_ptr<backend_state> cuda_tp_backend::new_state() const {
    auto s = std::make_unique<cuda_tp_state>();
    s->owner = this;
    s->devices = m_devices;
    for (size_t r = 0; r < m_ranks.size(); ++r) {
        check(cudaSetDevice(m_devices[r]), "cudaSetDevice");
        s->ranks.push_back(m_ranks[r]->new_state());
    }
    return s;
}

void cuda_tp_backend::forward(backend_state& state_base, std::span<const int32_t> ids, logits_rows rows,
                              float* logits) {
    auto* st = dynamic_cast<cuda_tp_state*>(&state_base);
    if (!st || st->owner != this) throw std::invalid_argument(name() + " backend: the state belongs to another backend");
    const int64_t n = int64_t(ids.size()), V = m_config.vocab_size;
    for (int32_t id : ids)
        if (id < 0 || id >= V)
            throw std::invalid_argument(name() + " backend: token id " + std::to_string(id) +
                                        " is outside the vocabulary [0, " + std::to_string(V) + ")");
    if (n == 0) return;
    std::lock_guard<std::mutex> lock(m_mutex);
    const size_t N = m_ranks.size();
    const int64_t count = rows == logits_rows::all ? n : rows == logits_rows::last ? 1 : 0;
    const int64_t Vr = V / int64_t(N);
    m_collective->reset();
    std::vector<std::exception_ptr> errors(N);
    std::atomic<int> first_failed{-1};  // its error is the cause; the others' are "another rank failed"
    const std::function<void(int)> run_rank = [&](int rank) {
        const size_t r = size_t(rank);
        try {
            check(cudaSetDevice(m_devices[r]), "cudaSetDevice");
            m_shards[r].resize(size_t(count * Vr));
            m_ranks[r]->forward(*st->ranks[r], ids, rows, count ? m_shards[r].data() : nullptr);
        } catch (...) {
            errors[r] = std::current_exception();
            int none = -1;
            first_failed.compare_exchange_strong(none, rank);
            m_collective->abort();  // the other ranks would wait for this one at their next all-reduce
        }
    };
    // One host thread per rank: every rank must reach each all-reduce while the others wait there.
    m_threads->run(run_rank);
    if (first_failed >= 0) std::rethrow_exception(errors[size_t(first_failed.load())]);
    // The vocabulary-parallel LM head: rank r's columns are [r·Vr, (r+1)·Vr) of every row.
    for (int64_t t = 0; t < count; ++t)
        for (size_t r = 0; r < N; ++r)
            std::copy_n(m_shards[r].data() + t * Vr, Vr, logits + t * V + int64_t(r) * Vr);
}

}  // namespace m1::cuda
