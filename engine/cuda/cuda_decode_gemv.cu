#include "engine/cuda/cuda_decode_gemv.cuh"

#include <type_traits>

namespace m1::cuda {

namespace {

constexpr int k_warps = 8;         // output rows per CTA
constexpr int k_splitk_threads = 256;  // small products: one CTA per output row, K split over its threads

template <class W>
struct wvec;  // one 16-byte weight load
template <>
struct wvec<bf16> {
    static constexpr int count = 8;
    __device__ static void load(const bf16* p, float* out) {
        const uint4 v = __ldg(reinterpret_cast<const uint4*>(p));
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
    __device__ static void load(const float* p, float* out) {
        const float4 v = __ldg(reinterpret_cast<const float4*>(p));
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

// Pulls one matrix row into L2 (a warp, 128-byte lines), for the time before the previous kernel has finished.
template <class W>
__device__ void prefetch_row(const W* row, int64_t K, int lane) {
    const char* b = reinterpret_cast<const char*>(row);
    const int64_t bytes = K * int64_t(sizeof(W));
    for (int64_t off = int64_t(lane) * 128; off < bytes; off += 32 * 128)
        asm volatile("prefetch.global.L2 [%0];" ::"l"(b + off));
}

// acc[j][t] = Σ_k w[j][k]·x[t·ldx + k] for R matrix rows sharing the n (<= NT) x rows, summed over the warp (every
// lane ends with the totals). Each lane accumulates its 16-byte chunks in k order, then the warp reduces.
template <class W, int R, int NT, bool VEC>
__device__ void warp_dot(const W* const (&w)[R], const float* x, int64_t ldx, int n, int64_t K, int lane,
                         float (&acc)[R][NT]) {
#pragma unroll
    for (int j = 0; j < R; ++j)
#pragma unroll
        for (int t = 0; t < NT; ++t) acc[j][t] = 0.0f;
    constexpr int C = wvec<W>::count;
    int64_t k0 = 0;
    if (VEC) {
        const int64_t kv = K / C * C;
#pragma unroll 8
        for (int64_t k = int64_t(lane) * C; k < kv; k += 32 * C) {
            float wf[R][C];
#pragma unroll
            for (int j = 0; j < R; ++j) wvec<W>::load(w[j] + k, wf[j]);
#pragma unroll
            for (int t = 0; t < NT; ++t) {
                if (t < n) {
                    const float4* xv = reinterpret_cast<const float4*>(x + t * ldx + k);
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
        k0 = kv;
    }
    for (int64_t k = k0 + lane; k < K; k += 32)
#pragma unroll
        for (int j = 0; j < R; ++j) {
            const float wk = to_f(w[j][k]);
#pragma unroll
            for (int t = 0; t < NT; ++t)
                if (t < n) acc[j][t] += wk * x[t * ldx + k];
        }
#pragma unroll
    for (int j = 0; j < R; ++j)
#pragma unroll
        for (int t = 0; t < NT; ++t)
            for (int o = 16; o > 0; o >>= 1) acc[j][t] += __shfl_xor_sync(0xffffffffu, acc[j][t], o);
}

// grid (ceil(N / k_warps), P), k_warps warps: warp w of CTA b computes output row b·k_warps + w for all n rows.
template <class W, int NT, bool VEC, gemv_epilogue EP>
__global__ void __launch_bounds__(k_warps * 32) gemv_kernel(gemv_params p) {
    let_next_kernel_start();
    constexpr int R = EP == gemv_epilogue::swiglu ? 2 : 1;
    const int lane = threadIdx.x % 32;
    const int64_t r = blockIdx.x * int64_t(k_warps) + threadIdx.x / 32, prob = blockIdx.y;
    const bool live = r < p.N;
    const W* base = static_cast<const W*>(p.w);
    if (p.pdl && !p.expert && live) {  // the weights do not depend on the previous kernel: fetch them meanwhile
        prefetch_row(base + r * p.K, p.K, lane);
        if (R == 2) prefetch_row(base + (r + p.pair) * p.K, p.K, lane);
    }
    wait_for_previous_kernel();
    if (!live) return;

    if constexpr (EP == gemv_epilogue::combine) {
        int order[k_gemv_max_top];  // the token's choices by ascending expert id (ids are distinct)
        const int32_t* ex = p.expert + prob * p.k;
        for (int j = 0; j < p.k; ++j) {
            int i = j;
            while (i > 0 && ex[order[i - 1]] > ex[j]) {
                order[i] = order[i - 1];
                --i;
            }
            order[i] = j;
        }
        float total = 0.0f;
        for (int j = 0; j < p.k; ++j) {
            const int64_t q = prob * p.k + order[j];
            const W* w[1] = {base + int64_t(p.expert[q]) * p.w_stride + r * p.K};
            float acc[1][1];
            warp_dot<W, 1, 1, VEC>(w, p.x + q * p.x_stride, p.ldx, 1, p.K, lane, acc);
            total += acc[0][0] * p.route_weight[q];
        }
        if (lane == 0) p.y[prob * p.y_stride + r] = total;
    } else {
        const int64_t e = p.expert ? p.expert[prob] : 0;
        const W* m = base + e * p.w_stride;
        const W* w[R];
        w[0] = m + r * p.K;
        if constexpr (R == 2) w[1] = m + (r + p.pair) * p.K;
        float acc[R][NT];
        warp_dot<W, R, NT, VEC>(w, p.x + (prob / p.x_group) * p.x_stride, p.ldx, p.n, p.K, lane, acc);
        if (lane != 0) return;
#pragma unroll
        for (int t = 0; t < NT; ++t) {
            if (t >= p.n) break;
            float v = acc[0][t];
            if constexpr (EP == gemv_epilogue::silu) v = v * sigmoid_of(v);
            if constexpr (EP == gemv_epilogue::gate) v = p.aux[prob * p.y_stride + t * p.ldaux + r] * sigmoid_of(v);
            if constexpr (EP == gemv_epilogue::swiglu) v = v * sigmoid_of(v) * acc[R - 1][t];
            p.y[prob * p.y_stride + t * p.ldy + r] = v;
        }
    }
}

// Few output rows (the MoE router: 16 x 6144): one CTA per row and problem, K split over 256 threads, so that the
// read is spread over many SMs instead of one or two warps walking the whole matrix.
template <class W, int NT>
__global__ void __launch_bounds__(k_splitk_threads) gemv_splitk_kernel(gemv_params p) {
    let_next_kernel_start();
    wait_for_previous_kernel();
    __shared__ float part[k_splitk_threads / 32][NT];
    const int64_t r = blockIdx.x, prob = blockIdx.y;
    const int64_t e = p.expert ? p.expert[prob] : 0;
    const W* w = static_cast<const W*>(p.w) + e * p.w_stride + r * p.K;
    const float* x = p.x + (prob / p.x_group) * p.x_stride;
    float acc[NT] = {};
    for (int64_t k = threadIdx.x; k < p.K; k += k_splitk_threads) {
        const float wk = to_f(w[k]);
#pragma unroll
        for (int t = 0; t < NT; ++t)
            if (t < p.n) acc[t] += wk * x[t * p.ldx + k];
    }
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
#pragma unroll
    for (int t = 0; t < NT; ++t) {
        for (int o = 16; o > 0; o >>= 1) acc[t] += __shfl_xor_sync(0xffffffffu, acc[t], o);
        if (lane == 0) part[warp][t] = acc[t];
    }
    __syncthreads();
    if (threadIdx.x < p.n) {
        float a = 0.0f;
        for (int i = 0; i < k_splitk_threads / 32; ++i) a += part[i][threadIdx.x];
        p.y[prob * p.y_stride + threadIdx.x * p.ldy + r] = a;
    }
}

cudaError_t launch_ex(void (*kernel)(gemv_params), dim3 grid, unsigned threads, const gemv_params& p, cudaStream_t s) {
    cudaLaunchConfig_t cfg{};
    cfg.gridDim = grid;
    cfg.blockDim = dim3(threads);
    cfg.stream = s;
    cudaLaunchAttribute attr{};
    attr.id = cudaLaunchAttributeProgrammaticStreamSerialization;
    attr.val.programmaticStreamSerializationAllowed = 1;
    cfg.attrs = &attr;
    cfg.numAttrs = p.pdl ? 1 : 0;
    cudaError_t e = cudaLaunchKernelEx(&cfg, kernel, p);
    if (e != cudaSuccess && p.pdl) {  // a driver without programmatic launches: the ordinary launch is equivalent
        cudaGetLastError();
        cfg.numAttrs = 0;
        e = cudaLaunchKernelEx(&cfg, kernel, p);
    }
    return e;
}

template <class W, int NT, bool VEC>
cudaError_t launch_epilogue(const gemv_params& p, dim3 grid, cudaStream_t s) {
    constexpr unsigned T = k_warps * 32;
    if constexpr (std::is_same_v<W, bf16>) {
        switch (p.epilogue) {
        case gemv_epilogue::none: break;
        case gemv_epilogue::silu: return launch_ex(gemv_kernel<W, NT, VEC, gemv_epilogue::silu>, grid, T, p, s);
        case gemv_epilogue::gate: return launch_ex(gemv_kernel<W, NT, VEC, gemv_epilogue::gate>, grid, T, p, s);
        case gemv_epilogue::swiglu: return launch_ex(gemv_kernel<W, NT, VEC, gemv_epilogue::swiglu>, grid, T, p, s);
        case gemv_epilogue::combine:
            if constexpr (NT == 1) return launch_ex(gemv_kernel<W, 1, VEC, gemv_epilogue::combine>, grid, T, p, s);
            return cudaErrorInvalidValue;
        }
    } else if (p.epilogue != gemv_epilogue::none) {
        return cudaErrorInvalidValue;  // fp32 weights (router, reference LM head) take no epilogue
    }
    return launch_ex(gemv_kernel<W, NT, VEC, gemv_epilogue::none>, grid, T, p, s);
}

template <class W, int NT>
cudaError_t launch_typed(const gemv_params& p, cudaStream_t s) {
    const unsigned ctas = unsigned((p.N + k_warps - 1) / k_warps);
    if (p.epilogue == gemv_epilogue::none && int64_t(ctas) * p.problems < 64)
        return launch_ex(gemv_splitk_kernel<W, NT>, dim3(unsigned(p.N), unsigned(p.problems)), k_splitk_threads, p,
                         s);
    constexpr int C = wvec<W>::count;
    const bool vec = p.K % C == 0 && p.ldx % 4 == 0 && p.x_stride % 4 == 0 && p.w_stride % C == 0 &&
                     reinterpret_cast<uintptr_t>(p.w) % 16 == 0 && reinterpret_cast<uintptr_t>(p.x) % 16 == 0;
    const dim3 grid(ctas, unsigned(p.problems));
    return vec ? launch_epilogue<W, NT, true>(p, grid, s) : launch_epilogue<W, NT, false>(p, grid, s);
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
    if (p.n < 1 || p.n > k_gemv_max_rows || p.x_group < 1 || p.problems > 65535) return cudaErrorInvalidValue;
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
