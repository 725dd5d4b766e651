#include "engine/cuda/cuda_sampling.cuh"

#include <climits>

namespace m1::cuda {

namespace {

constexpr int k_threads = 1024;  // the one-CTA kernels
constexpr int k_warps = k_threads / 32;

// out[] words shared by the three kernels.
enum : int { k_id = 0, k_done = 1, k_best = 2, k_count = 3 };

__device__ int64_t allowed_count(const sample_params& p) {
    return p.V < int64_t(p.valid_vocab) ? p.V : int64_t(p.valid_vocab);
}

// 0 for an id that may not be chosen; otherwise larger key = better candidate (larger logit, then smaller id),
// the strict total order of the CPU sampler's better(). −0 counts as +0, as the CPU's float compare does.
__device__ uint64_t key_of(const sample_params& p, int64_t i) {
    float l = p.logits[i];
    if ((p.banned && p.banned[i]) || !(l > -INFINITY)) return 0;  // also NaN
    if (l == 0.0f) l = 0.0f;
    const uint32_t bits = __float_as_uint(l);
    const uint32_t k32 = (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
    return (uint64_t(k32) << 32) | uint64_t(0xFFFFFFFFu - uint32_t(i));
}

__device__ int32_t id_of(uint64_t key) {
    return int32_t(0xFFFFFFFFu - uint32_t(key));
}

__device__ bool greedy(const sample_params& p) {
    return p.temperature <= 0.0f || p.top_k == 1;
}

// Block-wide reductions of the one-CTA kernels (every thread gets the result; fixed order, so deterministic).
__device__ double block_sum(double v, double* warp_part) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    __syncthreads();
    if (threadIdx.x % 32 == 0) warp_part[threadIdx.x / 32] = v;
    __syncthreads();
    double s = 0;
    for (int w = 0; w < k_warps; ++w) s += warp_part[w];
    __syncthreads();
    return s;
}

__global__ void __launch_bounds__(k_threads) argmax_kernel(sample_params p) {
    __shared__ unsigned long long best_part[k_warps];
    __shared__ unsigned count_part[k_warps];
    const int64_t n = allowed_count(p);
    unsigned long long best = 0;
    unsigned count = 0;
    for (int64_t i = threadIdx.x; i < n; i += k_threads) {
        const uint64_t key = key_of(p, i);
        best = key > best ? key : best;
        count += key != 0;
    }
    for (int o = 16; o > 0; o >>= 1) {
        const unsigned long long other = __shfl_xor_sync(0xffffffffu, best, o);
        best = other > best ? other : best;
        count += __shfl_xor_sync(0xffffffffu, count, o);
    }
    if (threadIdx.x % 32 == 0) {
        best_part[threadIdx.x / 32] = best;
        count_part[threadIdx.x / 32] = count;
    }
    __syncthreads();
    if (threadIdx.x != 0) return;
    count = 0;
    for (int w = 0; w < k_warps; ++w) {
        best = best_part[w] > best ? best_part[w] : best;
        count += count_part[w];
    }
    if (best == 0) {
        p.out[k_id] = -1;
        p.out[k_done] = 1;
        return;
    }
    const int32_t id = id_of(best);
    p.out[k_best] = id;
    p.out[k_count] = int32_t(count);
    // +inf outweighs everything (and inf − inf would poison the weights): the CPU returns it without drawing.
    const bool done = greedy(p) || isinf(p.logits[id]);
    p.out[k_id] = id;
    p.out[k_done] = done ? 1 : 0;
}

// weights[i] = fp32(exp((logit − best) / T)) for allowed ids, −1 for the others.
__global__ void weights_kernel(sample_params p) {
    if (p.out[k_done]) return;
    const int64_t n = allowed_count(p);
    const float best = p.logits[p.out[k_best]];
    const float inv_t = 1.0f / p.temperature;
    for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
        if (key_of(p, i) == 0) {
            p.weights[i] = -1.0f;
            continue;
        }
        const float z = (p.logits[i] - best) * inv_t;  // the CPU's fp32 operations, in its order
        p.weights[i] = float(exp(double(z)));
    }
}

// The smallest key K among candidates with key >= floor such that, walking from the best down, either the count
// reaches `rank` (by_mass false) or the cumulative weight reaches `target` (by_mass true). Radix selection over the
// 64-bit key, 8 bits per pass, most significant first.
__device__ uint64_t radix_select(const sample_params& p, int64_t n, uint64_t floor, bool by_mass, int64_t rank,
                                 double target) {
    __shared__ unsigned cnt[256];
    __shared__ double mass[256];
    __shared__ unsigned long long s_prefix;
    __shared__ double s_above;
    __shared__ long long s_need;
    if (threadIdx.x == 0) {
        s_prefix = 0;
        s_above = 0;
        s_need = rank;
    }
    uint64_t mask = 0;
    for (int shift = 56; shift >= 0; shift -= 8) {
        for (int d = threadIdx.x; d < 256; d += k_threads) {
            cnt[d] = 0;
            mass[d] = 0;
        }
        __syncthreads();
        const uint64_t prefix = s_prefix;
        for (int64_t i = threadIdx.x; i < n; i += k_threads) {
            const uint64_t key = key_of(p, i);
            if (key == 0 || key < floor || (key & mask) != prefix) continue;
            const int d = int((key >> shift) & 0xFF);
            atomicAdd(&cnt[d], 1u);
            if (by_mass) atomicAdd(&mass[d], double(p.weights[i]));
        }
        __syncthreads();
        if (threadIdx.x == 0) {
            int chosen = -1, last = -1;
            for (int d = 255; d >= 0; --d) {
                if (cnt[d] == 0) continue;
                last = d;
                if (by_mass) {
                    if (s_above + mass[d] >= target) {
                        chosen = d;
                        break;
                    }
                    s_above += mass[d];
                } else {
                    if (s_need <= (long long)cnt[d]) {
                        chosen = d;
                        break;
                    }
                    s_need -= cnt[d];
                }
            }
            if (chosen < 0) {  // the mass never reached the target (rounding): the last candidate, as the CPU's walk
                chosen = last;
                if (by_mass) s_above -= mass[last];
            }
            s_prefix = prefix | (uint64_t(chosen) << shift);
        }
        mask |= uint64_t(0xFF) << shift;
        __syncthreads();
    }
    return s_prefix;
}

// Top-k and top-p boundaries, then the draw in id order (block scan of per-thread contiguous id ranges).
__global__ void __launch_bounds__(k_threads) select_kernel(sample_params p) {
    __shared__ double warp_part[k_warps];
    __shared__ int s_found, s_last;
    if (p.out[k_done]) return;
    const int64_t n = allowed_count(p);
    const int64_t count = p.out[k_count];
    uint64_t kept = 1;  // every allowed key is >= 1
    if (p.top_k > 0 && p.top_k < count) kept = radix_select(p, n, 1, false, p.top_k, 0);

    double total = 0;
    for (int64_t i = threadIdx.x; i < n; i += k_threads) {
        const uint64_t key = key_of(p, i);
        if (key != 0 && key >= kept) total += double(p.weights[i]);
    }
    total = block_sum(total, warp_part);
    if (p.top_p < 1.0f) {
        kept = radix_select(p, n, kept, true, 0, double(p.top_p) * total);
        total = 0;
        for (int64_t i = threadIdx.x; i < n; i += k_threads) {
            const uint64_t key = key_of(p, i);
            if (key != 0 && key >= kept) total += double(p.weights[i]);
        }
        total = block_sum(total, warp_part);
    }
    const double u = (p.u_dev ? *p.u_dev : p.u) * total;

    // Thread t walks ids [t·chunk, (t+1)·chunk) after the mass of all lower ranges (an exclusive scan).
    const int64_t chunk = (n + k_threads - 1) / k_threads;
    const int64_t lo = threadIdx.x * chunk, hi = lo + chunk < n ? lo + chunk : n;
    double local = 0;
    for (int64_t i = lo; i < hi; ++i) {
        const uint64_t key = key_of(p, i);
        const float w = p.weights[i];
        if (key != 0 && key >= kept && w > 0.0f) local += double(w);
    }
    double incl = local;
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    for (int o = 1; o < 32; o <<= 1) {
        const double v = __shfl_up_sync(0xffffffffu, incl, o);
        if (lane >= o) incl += v;
    }
    if (threadIdx.x == 0) {
        s_found = INT_MAX;
        s_last = -1;
    }
    if (lane == 31) warp_part[warp] = incl;
    __syncthreads();
    double acc = incl - local;
    for (int w = 0; w < warp; ++w) acc += warp_part[w];
    int last = -1;
    for (int64_t i = lo; i < hi; ++i) {
        const uint64_t key = key_of(p, i);
        const float w = p.weights[i];
        if (key == 0 || key < kept || !(w > 0.0f)) continue;
        acc += double(w);
        last = int(i);
        if (acc > u) {
            atomicMin(&s_found, int(i));
            break;
        }
    }
    if (last >= 0) atomicMax(&s_last, last);
    __syncthreads();
    if (threadIdx.x == 0) p.out[k_id] = s_found != INT_MAX ? s_found : s_last >= 0 ? s_last : p.out[k_best];
}

}  // namespace

cudaError_t launch_sample(const sample_params& p, cudaStream_t s) {
    if (p.V <= 0 || !p.logits || !p.out || !p.weights) return cudaErrorInvalidValue;
    argmax_kernel<<<1, k_threads, 0, s>>>(p);
    if (!(p.temperature <= 0.0f || p.top_k == 1)) {
        weights_kernel<<<264, 256, 0, s>>>(p);
        select_kernel<<<1, k_threads, 0, s>>>(p);
    }
    return cudaGetLastError();
}

cuda_sampler::cuda_sampler(float temperature, float top_p, int32_t top_k, int32_t valid_vocab) {
    m_p.temperature = temperature;
    m_p.top_p = top_p;
    m_p.top_k = top_k;
    m_p.valid_vocab = valid_vocab > 0 ? valid_vocab : 0;
    m_out.reserve(4);
    check(cudaMallocHost(reinterpret_cast<void**>(&m_host), sizeof(int32_t)), "cudaMallocHost");
}

cuda_sampler::~cuda_sampler() {
    if (m_host) cudaFreeHost(m_host);
}

void cuda_sampler::set_banned_ids(const int32_t* ids, size_t count) {
    std::vector<uint8_t> mask(size_t(m_p.valid_vocab), 0);
    bool any = false;
    for (size_t i = 0; i < count; ++i)
        if (const int32_t id = ids[i]; id >= 0 && id < m_p.valid_vocab) {
            mask[size_t(id)] = 1;
            any = true;
        }
    if (!any) {
        m_p.banned = nullptr;
        return;
    }
    m_banned.upload(mask);
    m_p.banned = m_banned.data();
}

int32_t cuda_sampler::sample(const float* d_logits, int64_t V, double u, cudaStream_t s) {
    m_weights.reserve(size_t(V));
    sample_params p = m_p;
    p.logits = d_logits;
    p.V = V;
    p.u = u;
    p.weights = m_weights.data();
    p.out = m_out.data();
    check(launch_sample(p, s), "sampling kernels");
    check(cudaMemcpyAsync(m_host, m_out.data(), sizeof(int32_t), cudaMemcpyDeviceToHost, s), "sampled id download");
    check(cudaStreamSynchronize(s), "sampling synchronisation");
    return *m_host;
}

}  // namespace m1::cuda
