#include "engine/cuda/cuda_decode_gemv.cuh"

#include <algorithm>
#include <atomic>
#include <type_traits>

namespace m1::cuda {

namespace {

constexpr int k_row_warps = 8;      // rows schedule: one output row per warp, 8 per CTA
constexpr int k_unit_threads = 128;  // units schedule: one output row per CTA at a time, K split over 4 warps
constexpr int k_unit_warps = k_unit_threads / 32;
constexpr int k_batch = 4;           // 16-byte weight loads a thread issues before it uses the first

template <class W>
struct wvec;  // one 16-byte weight load, kept raw until used
template <>
struct wvec<bf16> {
    static constexpr int count = 8;
    using raw = uint4;
    __device__ static raw load(const bf16* p) { return __ldg(reinterpret_cast<const uint4*>(p)); }
    __device__ static void unpack(const raw& v, float* out) {
        const uint32_t words[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
        for (int i = 0; i < 4; ++i) {
            out[2 * i] = __uint_as_float(words[i] << 16);
            out[2 * i + 1] = __uint_as_float(words[i] & 0xffff0000u);
        }
    }
};
template <>
struct wvec<float> {
    static constexpr int count = 4;
    using raw = float4;
    __device__ static raw load(const float* p) { return __ldg(reinterpret_cast<const float4*>(p)); }
    __device__ static void unpack(const raw& v, float* out) {
        out[0] = v.x;
        out[1] = v.y;
        out[2] = v.z;
        out[3] = v.w;
    }
};

__device__ float to_f(float v) {
    return v;
}
__device__ float to_f(bf16 v) {
    return __bfloat162float(v);
}

__device__ float sigmoid_of(float v) {
    return 1.0f / (1.0f + expf(-v));  // as cuda_ops.cu's elementwise kernels
}

// Programmatic dependent launch (sm_90): both are no-ops for a kernel launched the ordinary way.
__device__ __forceinline__ void let_next_kernel_start() {
    asm volatile("griddepcontrol.launch_dependents;" ::: "memory");
}
__device__ __forceinline__ void wait_for_previous_kernel() {
    asm volatile("griddepcontrol.wait;" ::: "memory");
}

// This thread's partial sums acc[j][t] = Σ_k w[j][k]·x[t·ldx + k] over the 16-byte chunks STRIDE apart starting at
// chunk `me`, for R matrix rows sharing the n (<= NT) x rows. Loads go out k_batch at a time before any is used, so
// several are in flight per thread; each thread adds its chunks in k order (the sum's order is fixed).
template <class W, int R, int NT, bool VEC, int STRIDE>
__device__ void partial_dot(const W* const (&w)[R], const float* x, int64_t ldx, int n, int64_t K, int me,
                            float (&acc)[R][NT]) {
#pragma unroll
    for (int j = 0; j < R; ++j)
#pragma unroll
        for (int t = 0; t < NT; ++t) acc[j][t] = 0.0f;
    constexpr int C = wvec<W>::count;
    int64_t k0 = 0;
    if (VEC) {
        const int64_t kv = K / C * C;
        for (int64_t k = int64_t(me) * C; k < kv; k += k_batch * STRIDE * C) {
            typename wvec<W>::raw raw[k_batch][R];
#pragma unroll
            for (int b = 0; b < k_batch; ++b) {
                const int64_t kb = k + int64_t(b) * STRIDE * C;
#pragma unroll
                for (int j = 0; j < R; ++j)
                    if (kb < kv) raw[b][j] = wvec<W>::load(w[j] + kb);
            }
#pragma unroll
            for (int b = 0; b < k_batch; ++b) {
                const int64_t kb = k + int64_t(b) * STRIDE * C;
                if (kb >= kv) break;
                float wf[R][C];
#pragma unroll
                for (int j = 0; j < R; ++j) wvec<W>::unpack(raw[b][j], wf[j]);
#pragma unroll
                for (int t = 0; t < NT; ++t) {
                    if (t < n) {
                        const float4* xv = reinterpret_cast<const float4*>(x + t * ldx + kb);
#pragma unroll
                        for (int c = 0; c < C / 4; ++c) {
                            const float4 xx = xv[c];
#pragma unroll
                            for (int j = 0; j < R; ++j) {
                                float a = acc[j][t];
                                a += wf[j][4 * c] * xx.x;
                                a += wf[j][4 * c + 1] * xx.y;
                                a += wf[j][4 * c + 2] * xx.z;
                                a += wf[j][4 * c + 3] * xx.w;
                                acc[j][t] = a;
                            }
                        }
                    }
                }
            }
        }
        k0 = kv;
    }
    for (int64_t k = k0 + me; k < K; k += STRIDE)
#pragma unroll
        for (int j = 0; j < R; ++j) {
            const float wk = to_f(w[j][k]);
#pragma unroll
            for (int t = 0; t < NT; ++t)
                if (t < n) acc[j][t] += wk * x[t * ldx + k];
        }
}

// The partial sums of one unit — output row r of problem prob — for the epilogue's R matrix rows.
template <class W, int NT, bool VEC, gemv_epilogue EP, int STRIDE, int R>
__device__ void unit_partials(const gemv_params& p, int64_t prob, int64_t r, int me, float (&acc)[R][NT]) {
    const W* base = static_cast<const W*>(p.w);
    if constexpr (EP == gemv_epilogue::combine) {
        // acc = Σ_j weight_j · (partial of expert j), the token's experts by ascending id (ids are distinct)
        int order[k_gemv_max_top];
        const int32_t* ex = p.expert + prob * p.k;
        for (int j = 0; j < p.k; ++j) {
            int i = j;
            while (i > 0 && ex[order[i - 1]] > ex[j]) {
                order[i] = order[i - 1];
                --i;
            }
            order[i] = j;
        }
        acc[0][0] = 0.0f;
        for (int j = 0; j < p.k; ++j) {
            const int64_t q = prob * p.k + order[j];
            const W* w[1] = {base + int64_t(p.expert[q]) * p.w_stride + r * p.K};
            float part[1][1];
            partial_dot<W, 1, 1, VEC, STRIDE>(w, p.x + q * p.x_stride, p.ldx, 1, p.K, me, part);
            acc[0][0] += part[0][0] * p.route_weight[q];
        }
    } else {
        const int64_t e = p.expert ? p.expert[prob] : 0;
        const W* m = base + e * p.w_stride;
        const W* w[R];
        w[0] = m + r * p.K;
        if constexpr (R == 2) w[1] = m + (r + p.pair) * p.K;
        partial_dot<W, R, NT, VEC, STRIDE>(w, p.x + (prob / p.x_group) * p.x_stride, p.ldx, p.n, p.K, me, acc);
    }
}

template <gemv_epilogue EP, int R>
__device__ void store(const gemv_params& p, int64_t prob, int t, int64_t r, const float (&tot)[R]) {
    float v = tot[0];
    if constexpr (EP == gemv_epilogue::silu) v = v * sigmoid_of(v);
    if constexpr (EP == gemv_epilogue::gate) v = p.aux[prob * p.y_stride + t * p.ldaux + r] * sigmoid_of(v);
    if constexpr (EP == gemv_epilogue::swiglu) v = v * sigmoid_of(v) * tot[R - 1];
    p.y[prob * p.y_stride + t * p.ldy + r] = v;
}

// Schedule "rows": grid (ceil(N / 8), P), warp w of CTA b computes output row b·8 + w for all n rows.
template <class W, int NT, bool VEC, gemv_epilogue EP>
__global__ void __launch_bounds__(k_row_warps * 32) gemv_rows_kernel(gemv_params p) {
    constexpr int R = EP == gemv_epilogue::swiglu ? 2 : 1;
    let_next_kernel_start();
    wait_for_previous_kernel();
    const int lane = threadIdx.x % 32;
    const int64_t r = blockIdx.x * int64_t(k_row_warps) + threadIdx.x / 32, prob = blockIdx.y;
    if (r >= p.N) return;
    float acc[R][NT];
    unit_partials<W, NT, VEC, EP, 32, R>(p, prob, r, lane, acc);
#pragma unroll
    for (int t = 0; t < NT; ++t) {
        float tot[R];
#pragma unroll
        for (int j = 0; j < R; ++j) {
            float a = acc[j][t];
            for (int o = 16; o > 0; o >>= 1) a += __shfl_xor_sync(0xffffffffu, a, o);
            tot[j] = a;
        }
        if (lane == 0 && t < p.n) store<EP, R>(p, prob, t, r, tot);
    }
}

// Schedule "units": a persistent grid (as many CTAs as are resident at once) walks the units u = problem·N + r in
// steps of the grid size, each unit's K split over the CTA's 128 threads and summed in a fixed order (shuffles, then
// the warps in order). Many small units per CTA keep the tail short where the rows schedule would leave a nearly
// empty last wave. red: two buffers used by alternate units, so one barrier per unit suffices (a unit's reads finish
// before any thread passes the next unit's barrier).
template <class W, int NT, bool VEC, gemv_epilogue EP>
__global__ void __launch_bounds__(k_unit_threads) gemv_units_kernel(gemv_params p) {
    constexpr int R = EP == gemv_epilogue::swiglu ? 2 : 1;
    let_next_kernel_start();
    wait_for_previous_kernel();
    __shared__ float red[2][k_unit_warps][R * NT];
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const int64_t units = p.N * p.problems;
    int parity = 0;
    for (int64_t u = blockIdx.x; u < units; u += gridDim.x, parity ^= 1) {
        const int64_t prob = u / p.N, r = u % p.N;
        float acc[R][NT];
        unit_partials<W, NT, VEC, EP, k_unit_threads, R>(p, prob, r, threadIdx.x, acc);
#pragma unroll
        for (int j = 0; j < R; ++j)
#pragma unroll
            for (int t = 0; t < NT; ++t) {
                float a = acc[j][t];
                for (int o = 16; o > 0; o >>= 1) a += __shfl_xor_sync(0xffffffffu, a, o);
                if (lane == 0) red[parity][warp][j * NT + t] = a;
            }
        __syncthreads();
        const int t = threadIdx.x;
        if (t < NT && t < p.n) {
            float tot[R];
#pragma unroll
            for (int j = 0; j < R; ++j) {
                float a = red[parity][0][j * NT + t];
                for (int w = 1; w < k_unit_warps; ++w) a += red[parity][w][j * NT + t];
                tot[j] = a;
            }
            store<EP, R>(p, prob, t, r, tot);
        }
    }
}

template <auto Kernel>
cudaError_t launch_ex(const gemv_params& p, dim3 grid, unsigned threads, cudaStream_t s) {
    cudaLaunchConfig_t cfg{};
    cfg.gridDim = grid;
    cfg.blockDim = dim3(threads);
    cfg.stream = s;
    cudaLaunchAttribute attr{};
    attr.id = cudaLaunchAttributeProgrammaticStreamSerialization;
    attr.val.programmaticStreamSerializationAllowed = 1;
    cfg.attrs = &attr;
    cfg.numAttrs = p.pdl ? 1 : 0;
    cudaError_t e = cudaLaunchKernelEx(&cfg, Kernel, p);
    if (e != cudaSuccess && p.pdl) {  // a driver without programmatic launches: the ordinary launch is equivalent
        cudaGetLastError();
        cfg.numAttrs = 0;
        e = cudaLaunchKernelEx(&cfg, Kernel, p);
    }
    return e;
}

// The units schedule's persistent grid: CTAs resident at once (occupancy computed once per kernel).
template <auto Kernel>
cudaError_t launch_units(const gemv_params& p, cudaStream_t s) {
    static std::atomic<int> per_sm{0};
    cudaError_t e = cudaSuccess;
    if (per_sm.load(std::memory_order_relaxed) == 0) {
        int v = 0;
        if ((e = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&v, Kernel, k_unit_threads, 0)) != cudaSuccess)
            return e;
        per_sm.store(std::max(1, v), std::memory_order_relaxed);
    }
    int dev = 0, sms = 0;
    if ((e = cudaGetDevice(&dev)) != cudaSuccess) return e;
    if ((e = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev)) != cudaSuccess) return e;
    const int64_t grid = std::min<int64_t>(p.N * p.problems, int64_t(per_sm.load(std::memory_order_relaxed)) * sms);
    return launch_ex<Kernel>(p, dim3(unsigned(grid)), k_unit_threads, s);
}

template <class W, int NT, bool VEC, gemv_epilogue EP>
cudaError_t launch_schedule(const gemv_params& p, bool units, cudaStream_t s) {
    if (units) return launch_units<gemv_units_kernel<W, NT, VEC, EP>>(p, s);
    const dim3 grid(unsigned((p.N + k_row_warps - 1) / k_row_warps), unsigned(p.problems));
    return launch_ex<gemv_rows_kernel<W, NT, VEC, EP>>(p, grid, k_row_warps * 32, s);
}

// Which schedule serves p (measured on an H200 at M1's decode shapes, tests/bench/RESULTS.md): units for every
// product of a decode layer (3-28% faster, the experts' weighted sum 1.4x, the router 2.8x), rows for the LM head's
// 200K rows (2% faster: its grid is hundreds of waves, so it has no tail to save).
bool use_units(const gemv_params& p) {
    if (p.schedule != gemv_schedule::automatic) return p.schedule == gemv_schedule::units;
    return p.N * p.problems < 100000;
}

template <class W, int NT, bool VEC>
cudaError_t launch_epilogue(const gemv_params& p, cudaStream_t s) {
    const bool u = use_units(p);
    if constexpr (std::is_same_v<W, bf16>) {
        switch (p.epilogue) {
        case gemv_epilogue::none: break;
        case gemv_epilogue::silu: return launch_schedule<W, NT, VEC, gemv_epilogue::silu>(p, u, s);
        case gemv_epilogue::gate: return launch_schedule<W, NT, VEC, gemv_epilogue::gate>(p, u, s);
        case gemv_epilogue::swiglu: return launch_schedule<W, NT, VEC, gemv_epilogue::swiglu>(p, u, s);
        case gemv_epilogue::combine:
            if constexpr (NT == 1) return launch_schedule<W, 1, VEC, gemv_epilogue::combine>(p, u, s);
            return cudaErrorInvalidValue;
        }
    } else if (p.epilogue != gemv_epilogue::none) {
        return cudaErrorInvalidValue;  // fp32 weights (router, an fp32 LM head) take no epilogue
    }
    return launch_schedule<W, NT, VEC, gemv_epilogue::none>(p, u, s);
}

template <class W, int NT>
cudaError_t launch_typed(const gemv_params& p, cudaStream_t s) {
    constexpr int C = wvec<W>::count;
    const bool vec = p.K % C == 0 && p.ldx % 4 == 0 && p.x_stride % 4 == 0 && p.w_stride % C == 0 &&
                     aligned(p.w, 16) && aligned(p.x, 16);
    return vec ? launch_epilogue<W, NT, true>(p, s) : launch_epilogue<W, NT, false>(p, s);
}

template <class W>
cudaError_t launch_rows(const gemv_params& p, cudaStream_t s) {
    if (p.n == 1) return launch_typed<W, 1>(p, s);
    if (p.n == 2) return launch_typed<W, 2>(p, s);
    if (p.n <= 4) return launch_typed<W, 4>(p, s);
    return launch_typed<W, 8>(p, s);
}

}  // namespace

cudaError_t launch_gemv(const gemv_params& p, cudaStream_t s) {
    if (p.N == 0 || p.problems == 0) return cudaSuccess;
    if (p.n < 1 || p.n > k_gemv_max_rows || p.x_group < 1 || (p.problems > 65535 && !use_units(p))) return cudaErrorInvalidValue;
    switch (p.epilogue) {
    case gemv_epilogue::gate:
        if (!p.aux) return cudaErrorInvalidValue;
        break;
    case gemv_epilogue::swiglu:
        if (p.pair < p.N) return cudaErrorInvalidValue;
        break;
    case gemv_epilogue::combine:
        if (p.n != 1 || !p.expert || !p.route_weight || p.k < 1 || p.k > k_gemv_max_top)
            return cudaErrorInvalidValue;
        break;
    default: break;
    }
    return p.w_f32 ? launch_rows<float>(p, s) : launch_rows<bf16>(p, s);
}

}  // namespace m1::cuda
