#include "engine/cuda/cuda_decode_gemv.cuh"

namespace m1::cuda {

namespace {

constexpr int k_warps = 8;  // output rows per CTA

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

// grid (ceil(N / k_warps), P), k_warps warps: warp w of CTA b computes output row b·k_warps + w for all n rows.
template <class W, int NT, bool VEC>
__global__ void __launch_bounds__(k_warps * 32) gemv_kernel(gemv_params p) {
    const int lane = threadIdx.x % 32;
    const int64_t r = blockIdx.x * int64_t(k_warps) + threadIdx.x / 32, prob = blockIdx.y;
    if (r >= p.N) return;
    const int64_t e = p.expert ? p.expert[prob] : 0;
    const W* w = static_cast<const W*>(p.w) + e * p.w_stride + r * p.K;
    const float* x = p.x + (prob / p.x_group) * p.x_stride;
    float acc[NT] = {};
    constexpr int C = wvec<W>::count;
    int64_t k0 = 0;
    if (VEC) {
        const int64_t kv = p.K / C * C;
#pragma unroll 4
        for (int64_t k = int64_t(lane) * C; k < kv; k += 32 * C) {
            float wf[C];
            wvec<W>::load(w + k, wf);
#pragma unroll
            for (int t = 0; t < NT; ++t) {
                if (t < p.n) {
                    const float4* xv = reinterpret_cast<const float4*>(x + t * p.ldx + k);
                    float a = acc[t];
#pragma unroll
                    for (int c = 0; c < C / 4; ++c) {
                        const float4 xx = xv[c];
                        a += wf[4 * c] * xx.x;
                        a += wf[4 * c + 1] * xx.y;
                        a += wf[4 * c + 2] * xx.z;
                        a += wf[4 * c + 3] * xx.w;
                    }
                    acc[t] = a;
                }
            }
        }
        k0 = kv;
    }
    for (int64_t k = k0 + lane; k < p.K; k += 32) {
        const float wk = to_f(w[k]);
#pragma unroll
        for (int t = 0; t < NT; ++t)
            if (t < p.n) acc[t] += wk * x[t * p.ldx + k];
    }
#pragma unroll
    for (int t = 0; t < NT; ++t) {
        float a = acc[t];
        for (int o = 16; o > 0; o >>= 1) a += __shfl_xor_sync(0xffffffffu, a, o);
        if (lane == 0 && t < p.n) p.y[prob * p.y_stride + t * p.ldy + r] = a;
    }
}

template <class W, int NT>
cudaError_t launch_typed(const gemv_params& p, cudaStream_t s) {
    constexpr int C = wvec<W>::count;
    const bool vec = p.K % C == 0 && p.ldx % 4 == 0 && p.x_stride % 4 == 0 && p.w_stride % C == 0 &&
                     reinterpret_cast<uintptr_t>(p.w) % 16 == 0 && reinterpret_cast<uintptr_t>(p.x) % 16 == 0;
    const dim3 grid(unsigned((p.N + k_warps - 1) / k_warps), unsigned(p.problems));
    if (vec)
        gemv_kernel<W, NT, true><<<grid, k_warps * 32, 0, s>>>(p);
    else
        gemv_kernel<W, NT, false><<<grid, k_warps * 32, 0, s>>>(p);
    return cudaGetLastError();
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
    return p.w_f32 ? launch_rows<float>(p, s) : launch_rows<bf16>(p, s);
}

}  // namespace m1::cuda
